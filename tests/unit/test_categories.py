import dataclasses

import pytest

from api.ingest.categories import CategoryName, classify_draw_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("No Program Specified", "No Program Specified"),
        ("General", "General"),
        ("  no   program SPECIFIED ", "no program SPECIFIED"),
        ("GENERAL", "GENERAL"),
    ],
)
def test_all_program_rounds_map_to_the_general_line(raw: str, name: str) -> None:
    assert classify_draw_name(raw) == CategoryName("general", name, "general", None)


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("Canadian Experience Class", "cec"),
        ("Provincial Nominee Program", "pnp"),
        ("Federal Skilled Trades", "fst"),
        ("Federal Skilled Trades Program", "fst"),
        ("Federal Skilled Worker", "fsw"),
        ("Federal Skilled Worker Program", "fsw"),
    ],
)
def test_program_names_map_to_stable_program_slugs(raw: str, slug: str) -> None:
    assert classify_draw_name(raw) == CategoryName(slug, raw, "program", None)


def test_program_name_with_a_version_suffix_keeps_the_version() -> None:
    result = classify_draw_name("Provincial Nominee Program (Version 2)")

    assert result == CategoryName("pnp", "Provincial Nominee Program", "program", 2)


@pytest.mark.parametrize(
    ("raw", "name", "version"),
    [
        ("Healthcare occupations (2023-1)", "Healthcare occupations", 1),
        ("Healthcare occupations (Version 1)", "Healthcare occupations", 1),
        (
            "Healthcare and social services occupations (Version 2)",
            "Healthcare and social services occupations",
            2,
        ),
        (
            "Healthcare and Social Services Occupations, 2026-Version 3",
            "Healthcare and Social Services Occupations",
            3,
        ),
    ],
)
def test_every_healthcare_line_name_maps_to_healthcare_with_its_version(
    raw: str, name: str, version: int
) -> None:
    assert classify_draw_name(raw) == CategoryName("healthcare", name, "category", version)


@pytest.mark.parametrize(
    ("raw", "slug", "version"),
    [
        ("French language proficiency (2023-1)", "french-language-proficiency", 1),
        ("French language proficiency (2024-1)", "french-language-proficiency", 1),
        ("French language proficiency (Version 1)", "french-language-proficiency", 1),
        ("French-Language proficiency 2026-Version 2", "french-language-proficiency", 2),
        ("STEM occupations (2023-1)", "stem", 1),
        ("STEM occupations (Version 1)", "stem", 1),
        ("Trade occupations (2023-1)", "trades", 1),
        ("Trade occupations (Version 2)", "trades", 2),
        ("Trades Occupations, 2026-Version 3", "trades", 3),
        ("Transport occupations (2024-1)", "transport", 1),
        ("Transport occupations (Version 1)", "transport", 1),
        ("Agriculture and agri-food occupations (2023-1)", "agriculture", 1),
        ("Agriculture and agri-food occupations (Version 1)", "agriculture", 1),
        ("Education occupations (Version 1)", "education", 1),
    ],
)
def test_known_category_lines_keep_stable_slugs_across_renames(
    raw: str, slug: str, version: int
) -> None:
    result = classify_draw_name(raw)

    assert (result.slug, result.kind, result.version) == (slug, "category", version)


@pytest.mark.parametrize(
    ("raw", "version"),
    [
        ("Healthcare occupations (2023-1)", 1),
        ("Healthcare occupations (Version 2)", 2),
        ("Healthcare occupations, 2026-Version 3", 3),
        ("Healthcare occupations 2026-Version 2", 2),
        ("Healthcare occupations - Version 4", 4),
        ("Healthcare occupations (version 4)", 4),
        ("Healthcare occupations v4", 4),
        ("Healthcare occupations (V4)", 4),
        ("Healthcare occupations (2027-4)", 4),
        ("Healthcare occupations Version 5 (2027)", 5),
        ("Healthcare occupations (2026-Version 12)", 12),
    ],
)
def test_version_suffix_styles_give_the_trailing_integer_and_are_stripped(
    raw: str, version: int
) -> None:
    result = classify_draw_name(raw)

    assert (result.name, result.version) == ("Healthcare occupations", version)


def test_display_name_keeps_ircc_wording_and_case() -> None:
    result = classify_draw_name("French-Language proficiency 2026-Version 2")

    assert result.name == "French-Language proficiency"


def test_display_name_collapses_stray_whitespace() -> None:
    result = classify_draw_name("  Healthcare  and social\u00a0services occupations  (Version 2) ")

    assert result.name == "Healthcare and social services occupations"


@pytest.mark.parametrize(
    ("raw", "slug", "name"),
    [
        (
            "Physicians with Canadian Work Experience, 2026-Version 1",
            "physicians-with-canadian-work-experience",
            "Physicians with Canadian Work Experience",
        ),
        (
            "Senior managers with Canadian Work Experience, 2026-Version 1",
            "senior-managers-with-canadian-work-experience",
            "Senior managers with Canadian Work Experience",
        ),
    ],
)
def test_unknown_category_name_becomes_new_category_with_slug_from_name(
    raw: str, slug: str, name: str
) -> None:
    assert classify_draw_name(raw) == CategoryName(slug, name, "category", 1)


def test_new_category_slug_strips_accents_and_punctuation() -> None:
    result = classify_draw_name("Chercheurs & scientifiques (Québec) — 2027-Version 1")

    assert result.slug == "chercheurs-scientifiques-quebec"


def test_new_category_slug_is_at_most_60_characters_cut_at_a_word() -> None:
    raw = "Researchers and scientists with Canadian work experience in the province of Quebec"

    slug = classify_draw_name(raw).slug

    assert slug == "researchers-and-scientists-with-canadian-work-experience-in"
    assert len(slug) <= 60


def test_new_category_without_version_has_version_none() -> None:
    assert classify_draw_name("Skilled military recruits").version is None


@pytest.mark.parametrize("raw", ["", "   ", "\u00a0"])
def test_blank_name_becomes_an_unnamed_category(raw: str) -> None:
    assert classify_draw_name(raw) == CategoryName("unnamed", "", "category", None)


def test_keywords_match_whole_words_only() -> None:
    assert classify_draw_name("Systems analysts (Version 1)").slug == "systems-analysts"


def test_work_experience_category_is_not_mistaken_for_the_cec_program() -> None:
    result = classify_draw_name("Physicians with Canadian Work Experience, 2026-Version 1")

    assert result.kind == "category"


def test_classification_is_immutable() -> None:
    result = classify_draw_name("General")

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.slug = "other"  # type: ignore[misc]
