"""Which articles a reader sees: readable ("ok") ones, through sources it may read.

Shared by the search side and the article reads, in the ORM form (``readable``) and
the raw-SQL one (``SCOPE_SQL``, article alias ``a``, expanding parameter ``feeds``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import CompoundSelect, Select, select

from bot.store.schema import Article, ArticleSource

SCOPE_SQL = """AND EXISTS (SELECT 1 FROM article_sources src
                             WHERE src.article_id = a.id AND src.feed_id IN :feeds)"""

_Rows = TypeVar("_Rows", bound="Select[*tuple[Any, ...]]")


def readable(stmt: _Rows, feeds: list[int] | CompoundSelect[int] | None) -> _Rows:
    """``stmt`` over articles, narrowed to "ok" ones and, with ``feeds``, to those sources
    (their ids, or the query of them: ``sources.VISIBLE_SOURCES``)."""
    stmt = stmt.where(Article.status == "ok")
    if feeds is None:
        return stmt
    seen = select(ArticleSource.article_id).where(
        ArticleSource.article_id == Article.id, ArticleSource.feed_id.in_(feeds)
    )
    return stmt.where(seen.exists())
