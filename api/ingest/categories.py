"""Classification of IRCC round names (drawName) into a category line and a definition version.

IRCC renames rounds freely ('Healthcare occupations (2023-1)' became 'Healthcare occupations
(Version 1)', then 'Healthcare and Social Services Occupations, 2026-Version 3') and keeps adding
categories, so known lines are found by keywords and any other name becomes a new category.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

_SLUG_MAX: Final = 60
_UNNAMED: Final = "unnamed"

# Version suffixes, each anchored at the end of the name.
_VERSION_SUFFIXES: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # '(2023-1)', '(Version 2)', '(version 4)', '(V4)', '(2027-4)', '(2026-Version 3)'
        r"\(\s*(?:\d{4}\s*-\s*)?(?:v(?:ersion)?\.?\s*)?(\d{1,3})(?:\s*[,-]\s*\d{4})?\s*\)$",
        # ', 2026-Version 3', ' 2026-Version 2', '- Version 4', ' v4'
        r"(?:^|[\s,;:-])(?:\d{4}\s*-\s*)?v(?:ersion)?\.?\s*(\d{1,3})$",
        # 'Version 5 (2027)'
        r"(?:^|[\s,;:-])v(?:ersion)?\.?\s*(\d{1,3})\s*\(\s*\d{4}\s*\)$",
    )
)

# Normalised names; '(program)' is dropped first since IRCC uses both 'Federal Skilled Trades'
# and 'Federal Skilled Trades Program'. French entries are best effort for the _fr feed.
_GENERAL_NAMES: Final = frozenset(
    {"general", "no program specified", "aucun programme specifie", "generale"}
)
_PROGRAMS: Final[dict[str, str]] = {
    "canadian experience class": "cec",
    "categorie de l experience canadienne": "cec",
    "provincial nominee": "pnp",
    "programme des candidats des provinces": "pnp",
    "federal skilled trades": "fst",
    "federal skilled trade": "fst",
    "federal skilled workers": "fsw",
    "federal skilled worker": "fsw",
    "programme des travailleurs de metiers specialises": "fst",
    "programme des travailleurs qualifies": "fsw",
}

# Checked in order on whole words of the normalised name; the first line that matches wins.
_CATEGORY_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("french-language-proficiency", ("french language", "francais")),
    ("healthcare", ("healthcare", "health care", "sante")),
    ("stem", ("stem", "stim")),
    ("trades", ("trade", "trades", "metiers")),
    ("transport", ("transport", "transportation")),
    ("agriculture", ("agriculture", "agri food", "agroalimentaire")),
    ("education", ("education",)),
)


@dataclass(frozen=True, slots=True)
class CategoryName:
    slug: str  # stable slug of the category line
    name: str  # published base name, version suffix removed, whitespace collapsed
    kind: str  # 'general' | 'program' | 'category'
    version: int | None  # category definition version; None when the name carries none


def classify_draw_name(raw: str) -> CategoryName:
    """Classify a drawName into its line (slug), display name, kind and version.

    Never fails: a name that matches no known program or category line is a new category whose
    slug comes from the name itself; a blank name gives slug 'unnamed'.
    """
    name, version = _split_version(" ".join(raw.split()))
    key = _normalise(name)
    if not key:
        return CategoryName(_UNNAMED, name, "category", version)
    if key in _GENERAL_NAMES:
        return CategoryName("general", name, "general", version)
    program = _program_slug(key)
    if program is not None:
        return CategoryName(program, name, "program", version)
    return CategoryName(_category_slug(key), name, "category", version)


def _split_version(name: str) -> tuple[str, int | None]:
    for pattern in _VERSION_SUFFIXES:
        match = pattern.search(name)
        if match is not None:
            return name[: match.start()].rstrip(" ,;:-"), int(match[1])
    return name, None


def _normalise(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.lower())
    unaccented = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", unaccented))


def _program_slug(key: str) -> str | None:
    bare = re.sub(r"\s+program(?:me)?$", "", key)
    bare = re.sub(r"\s+federal$", "", bare)
    return _PROGRAMS.get(bare)


def _category_slug(key: str) -> str:
    padded = f" {key} "
    for slug, keywords in _CATEGORY_KEYWORDS:
        if any(f" {keyword} " in padded for keyword in keywords):
            return slug
    return _slugify(key)


def _slugify(key: str) -> str:
    slug = key.replace(" ", "-")
    if len(slug) > _SLUG_MAX:
        # Cut at a word boundary so a long new name keeps whole words in its slug.
        cut = slug[: _SLUG_MAX + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:_SLUG_MAX]
    return slug.strip("-") or _UNNAMED
