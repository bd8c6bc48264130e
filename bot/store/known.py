"""What the store already holds, read narrowly: a feed's items' ids and content hashes
(ingest), and articles' versions (answers keep parsed articles by version).

An item stored with the same content is not analysed again (a feed re-polled
lists mostly what it listed before). The check used to load each stored article
(text, analysis and all) and hash its text again; the store keeps the hash it
wrote, so this reads that column, for a whole feed's items in two queries. The
identity is the store's: the feed's guid first, then the canonical URL
(``Store.find_article``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.store.schema import Article
from bot.store.scope import readable
from bot.store.sources import VISIBLE_SOURCES
from bot.urls import canonical_url

CHUNK = 500  # identities per IN (...) list


@dataclass(frozen=True, slots=True)
class Known:
    article_id: int
    content_hash: str | None  # None unless the stored row is an article ("ok")


def known_articles(
    engine: Engine, feed_id: int | None, items: Sequence[tuple[str, str | None]]
) -> list[Known | None]:
    """For each (link, guid) of ``items``: the stored article with that guid in
    ``feed_id``, else with that canonical URL, else None."""
    guids = sorted({g for _, g in items if g}) if feed_id else []
    canons = [canonical_url(link) for link, _ in items]
    by_guid: dict[str, Known] = {}
    by_url: dict[str, Known] = {}
    with Session(engine) as s:
        for part in _chunks(guids):
            rows = s.execute(
                select(Article.guid, Article.id, Article.status, Article.content_hash).where(
                    Article.feed_id == feed_id, Article.guid.in_(part)
                )
            )
            for guid, id_, status, chash in rows:
                if guid is not None:
                    by_guid[guid] = Known(id_, chash if status == "ok" else None)
        for part in _chunks(sorted(set(canons))):
            rows = s.execute(
                select(
                    Article.canonical_url, Article.id, Article.status, Article.content_hash
                ).where(Article.canonical_url.in_(part))
            )
            for canon, id_, status, chash in rows:
                by_url[str(canon)] = Known(id_, chash if status == "ok" else None)
    return [
        (by_guid.get(guid) if guid and feed_id else None) or by_url.get(canon)
        for (_, guid), canon in zip(items, canons, strict=True)
    ]


Version = tuple[int, datetime, str | None]  # id, updated_at, content_hash


# Each readable article's version among the ids (parameters ``ids``, ``workspace``):
# built once, with the workspace's sources inside (one statement for a warm reply).
_VERSIONS = readable(
    select(Article.id, Article.updated_at, Article.content_hash), VISIBLE_SOURCES
).where(Article.id.in_(bindparam("ids", expanding=True)))


def article_versions(s: Session, ids: Sequence[int], workspace: str) -> dict[int, Version]:
    """Each readable article's version among ``ids``, without its text or analysis."""
    rows = s.execute(_VERSIONS, {"ids": list(ids), "workspace": workspace})
    return {row.id: (row.id, row.updated_at, row.content_hash) for row in rows}


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]
