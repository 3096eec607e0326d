"""Feeds of the rounds: Atom (RFC 4287, written by feedgen) and JSON Feed 1.1 (msgspec).

One ``FeedEntry`` per round, newest first; both formats render the same entries, so a reader of
either sees the same ids, titles, times and links. An entry's id is a ``tag:`` URI (RFC 4151)
naming the round, not the host: it never changes, whichever URL the feed was read from, so a
reader never shows a round twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import msgspec
from feedgen.feed import FeedGenerator

from api.models import Draw, PoolSnapshotSummary

# RFC 4151: an authority and a date it was held, then a name unique under it.
TAG_PREFIX = "tag:eedraws,2026:"
TITLE = "Express Entry rounds of invitations"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
RIGHTS = "Data: Immigration, Refugees and Citizenship Canada, Open Government Licence - Canada"


class FeedEntry(msgspec.Struct, frozen=True, kw_only=True):
    """What a feed says about one round."""

    id: str
    title: str
    summary: str
    url: str
    updated: dt.datetime
    category: str
    category_name: str


class Feed(msgspec.Struct, frozen=True, kw_only=True):
    """A feed's own facts: its id, where it is, what it lists."""

    id: str
    title: str
    self_url: str
    home_url: str
    updated: dt.datetime
    entries: Sequence[FeedEntry]


def round_id(number: str) -> str:
    return f"{TAG_PREFIX}round/{number}"


def round_time(draw: Draw) -> dt.datetime:
    """When the round ran; IRCC's timestamp when it has one, else midnight UTC of its date."""
    if draw.run_at is not None:
        return draw.run_at
    return dt.datetime.combine(draw.date, dt.time(), tzinfo=dt.UTC)


def round_title(draw: Draw) -> str:
    return (
        f"Round #{draw.number} · {draw.category.name} · {draw.invitations:,} invitations · "
        f"CRS {draw.crs_min}"
    )


def round_summary(draw: Draw, pool: PoolSnapshotSummary | None) -> str:
    parts = [f"Round #{draw.number} on {draw.date.isoformat()}: {draw.name}."]
    parts.append(f"{draw.invitations:,} invitations, lowest CRS score invited {draw.crs_min}.")
    if draw.tie_break_at is not None:
        parts.append(
            f"Tie-break: {draw.tie_break_at.strftime('%Y-%m-%d %H:%M:%S')} UTC "
            "(candidates at the cut-off who entered the pool before then were invited)."
        )
    if pool is not None:
        parts.append(f"Pool: {pool.total:,} candidates on {pool.date.isoformat()}.")
    return " ".join(parts)


def entries(
    draws: Sequence[Draw],
    pools: Mapping[dt.date, PoolSnapshotSummary],
    round_url: str,
) -> list[FeedEntry]:
    """One entry per round, in the order given; ``round_url`` has a ``{number}`` field."""
    return [
        FeedEntry(
            id=round_id(d.number),
            title=round_title(d),
            summary=round_summary(
                d, pools.get(d.pool_snapshot_date) if d.pool_snapshot_date else None
            ),
            url=round_url.format(number=d.number),
            updated=round_time(d),
            category=d.category.slug,
            category_name=d.category.name,
        )
        for d in draws
    ]


def feed_id(categories: Sequence[str]) -> str:
    """The feed's id: one per set of categories, whatever their order or the host."""
    if not categories:
        return f"{TAG_PREFIX}draws"
    return f"{TAG_PREFIX}draws?category=" + ",".join(sorted(set(categories)))


def atom(feed: Feed) -> bytes:
    fg = FeedGenerator()
    fg.id(feed.id)
    fg.title(feed.title)
    fg.link(href=feed.self_url, rel="self", type="application/atom+xml")
    fg.link(href=feed.home_url, rel="alternate", type="text/html")
    fg.author(name="eedraws")
    fg.rights(RIGHTS)
    fg.updated(feed.updated)
    for entry in feed.entries:
        item = fg.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.link(href=entry.url, rel="alternate", type="text/html")
        item.updated(entry.updated)
        item.published(entry.updated)
        item.summary(entry.summary)
        item.category(term=entry.category, label=entry.category_name)
    body: bytes = fg.atom_str(pretty=False)
    return body


class _JsonItem(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    url: str
    title: str
    summary: str
    content_text: str
    date_published: dt.datetime
    date_modified: dt.datetime
    tags: list[str]


class _JsonFeed(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    title: str
    home_page_url: str
    feed_url: str
    description: str
    language: str
    items: list[_JsonItem]


def json_feed(feed: Feed) -> bytes:
    document = _JsonFeed(
        version=JSON_FEED_VERSION,
        title=feed.title,
        home_page_url=feed.home_url,
        feed_url=feed.self_url,
        description=f"{TITLE}, newest first. {RIGHTS}.",
        language="en",
        items=[
            _JsonItem(
                id=e.id,
                url=e.url,
                title=e.title,
                summary=e.summary,
                content_text=e.summary,
                date_published=e.updated,
                date_modified=e.updated,
                tags=[e.category],
            )
            for e in feed.entries
        ],
    )
    return msgspec.json.encode(document)
