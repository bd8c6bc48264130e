"""Ranked stories out of the store: full-text search and the top stories of a span.

One story per cluster, every source link, best first. Only the full-text query
differs between the databases: FTS5 with the porter tokenizer and ``bm25`` on
SQLite, a generated ``tsvector`` column with ``ts_rank_cd`` on PostgreSQL. The
``Store`` composes a ``StorySearch`` (``store.stories``) and keeps ``search`` and
``recent`` as its own names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.nlp.lexicon import word_pattern, words
from bot.store.records import StoredQuote, StoryHit, StorySource
from bot.store.schema import Article
from bot.store.scope import SCOPE_SQL, readable
from bot.store.times import as_utc, parse_ts, ts_param, utcnow

HALF_LIFE_H = 24.0  # recency: a day-old story needs twice the relevance of a fresh one
_DECAY = math.log(2) / HALF_LIFE_H
# Beyond a month, age no longer orders stories, relevance does: uncapped, the decay of a
# years-old story (``/brief canada 9000d``) underflowed to 0 for every match, and the
# ranking fell back to publication time, a passing mention above the headline's story.
MAX_AGE_H = 30 * 24.0  # 2^-30 of a fresh story's weight: no relevance ratio reaches it
TITLE_WEIGHT = 3.0  # bm25 column weight of the title against the text (1.0)
SIZE_BONUS = 0.2  # x (1 + 0.2 ln(outlets)): a story many outlets carry ranks higher
# A story lists its first reports, and counts the rest: a wire story carried by 40 feeds
# is one story with 5 links and "35 more", not 40 links (nor 40 articles read).
MAX_STORY_SOURCES = 5
PREFIX_MIN = 4  # query words this long also match as prefixes ("korea" -> "korean")

# PostgreSQL's english stop list, dropped from queries on both databases so that
# they agree ("the fed" searches "fed"); a topic of stop words only finds nothing.
SEARCH_STOPWORDS = words("search_stop_words")
_QUERY_WORD = word_pattern("")

# SQLite: the lowest article id published in the span. Every article of the span has an
# id from there on, so FTS5 may skip the doclists below it (a rowid range it seeks to)
# and results are unchanged; ids grow with arrival, which follows publication, so a
# frequent word costs about its matches in the span. INDEXED BY: left alone, SQLite
# answers min(id) by walking the table from its first row.
_FIRST_IN_SPAN = (
    "SELECT min(id) FROM articles INDEXED BY ix_articles_published WHERE published >= :since"
)

# The source ids a workspace may read (``FeedSources.visible``).
Visible = Callable[[Session, str], list[int]]


def query_terms(topic: str) -> list[tuple[str, bool]]:
    """User words -> (term, is_prefix); only letters and digits ever reach the query."""
    out: list[tuple[str, bool]] = []
    for word in _QUERY_WORD.findall(topic.lower()):
        if len(word) < 2 or word in SEARCH_STOPWORDS or any(w == word for w, _ in out):
            continue
        out.append((word, len(word) >= PREFIX_MIN))
    return out[:12]


def fts5_query(terms: Sequence[tuple[str, bool]]) -> str:
    return " AND ".join(f'"{t}"*' if prefix else f'"{t}"' for t, prefix in terms)


def tsquery(terms: Sequence[tuple[str, bool]]) -> str:
    return " & ".join(f"{t}:*" if prefix else t for t, prefix in terms)


def _best_quote(analysis: dict[str, Any] | None) -> StoredQuote | None:
    quotes = [q for q in (analysis or {}).get("quotes", []) if q.get("text")]
    if not quotes:
        return None
    q = next((q for q in quotes if q.get("speaker")), quotes[0])
    return StoredQuote(text=str(q["text"]), speaker=q.get("speaker"))


def _summary(analysis: dict[str, Any] | None) -> tuple[str, ...]:
    return tuple(str(s["text"]) for s in (analysis or {}).get("summary", []) if s.get("text"))


class StorySearch:
    """``search`` and ``recent`` over the store's articles and clusters.

    Reads that take ``workspace`` (a ``bot.store.sources.workspace_key``) see only the
    articles of the operator's sources and that workspace's own; without it they see
    everything, which only the operator's own commands (``newsbrief brief``) may do.
    """

    def __init__(self, session: sessionmaker[Session], dialect: str, visible: Visible) -> None:
        self._session = session
        self.dialect = dialect
        self._sources_visible = visible

    def search(
        self,
        topic: str,
        *,
        since: datetime,
        limit: int = 5,
        now: datetime | None = None,
        workspace: str | None = None,
    ) -> list[StoryHit]:
        """Stories about ``topic`` published since ``since``, best first, one per cluster.

        Every word must match (AND), stemmed (english/porter) and, from PREFIX_MIN
        letters, as a prefix: "korea" finds "South Korean" and "North Korea",
        "elect" finds "elections". Only letters and digits of the topic reach the
        query, so any user string is safe; one with no searchable word finds
        nothing. Score: relevance (bm25 / ts_rank_cd, title weighted up) times a
        24 h half-life recency decay, times a small bonus for stories many outlets
        carry. With ``workspace``, only articles of the sources it may read count, and a
        story lists only those among its sources.
        """
        terms = query_terms(topic)
        if not terms or limit <= 0:
            return []
        now = as_utc(now or utcnow())
        since = as_utc(since)
        page = max(limit * 8, 40)
        picks: dict[int, tuple[int, float]] = {}  # cluster -> (representative, score)
        with self._session() as s:
            feeds = self._visible(s, workspace)
            if feeds == []:
                return []
            for offset in range(0, page * 4, page):
                rows = self._ranked(s, terms, since, now, page, offset, feeds)
                for article_id, cluster_id, score in rows:
                    if cluster_id not in picks:
                        picks[cluster_id] = (article_id, score)
                if len(picks) >= limit or len(rows) < page:
                    break
            return self._hits(s, picks, limit, feeds=feeds)

    def _visible(self, s: Session, workspace: str | None) -> list[int] | None:
        """The source ids ``workspace`` may read; None: no restriction (the operator)."""
        return None if workspace is None else self._sources_visible(s, workspace)

    def _ranked(
        self,
        s: Session,
        terms: Sequence[tuple[str, bool]],
        since: datetime,
        now: datetime,
        page: int,
        offset: int,
        feeds: list[int] | None,
    ) -> list[tuple[int, int, float]]:
        params: dict[str, Any] = {
            "since": since,
            "decay": _DECAY,
            "max_age": MAX_AGE_H,
            "page": page,
            "offset": offset,
        }
        scope = ""
        if feeds is not None:
            scope = SCOPE_SQL
            params["feeds"] = feeds
        if self.dialect == "sqlite":
            params["q"] = fts5_query(terms)
            params["now_jd"] = now.timestamp() / 86400.0 + 2440587.5
            sql = f"""
                SELECT a.id, a.cluster_id,
                       -bm25(articles_fts, {TITLE_WEIGHT}, 1.0)
                       * exp(-:decay * min(:max_age,
                             max(0.0, (:now_jd - julianday(a.published)) * 24.0)))
                       AS score
                FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                WHERE articles_fts MATCH :q AND a.published >= :since
                  AND articles_fts.rowid >= ({_FIRST_IN_SPAN})
                  AND a.status = 'ok' AND a.cluster_id IS NOT NULL {scope}
                ORDER BY score DESC, a.published DESC, a.id DESC
                LIMIT :page OFFSET :offset"""
        else:
            # The span is read first: the published index is usable, so the planner
            # takes the span's articles and tests each with @@ (a frequent word), or
            # ANDs the GIN bitmap with the span's (a rare one). Either way the cost
            # follows the span, not every match in the store (before: the GIN bitmap
            # alone drove, and the row of every match in the store's history was read).
            # The test reads ``search`` from the row itself (migration 0011, STORAGE
            # MAIN), not from TOAST. Seq scans stay off: the planner thinks @@ cheap
            # and would scan the table for a word in most articles; ``cluster_id + 0``
            # keeps that index out. Rank reads the small ``search_lead`` vector, plus a
            # floor so that articles matching only deep in the text still rank; it is
            # inline too (0012), or each match of a frequent word cost a TOAST probe.
            # No parallel plan either: its cost shares the GIN bitmap among workers, so
            # under a workspace's scope (a semi-join) the planner took the bitmap of every
            # match in the store again ("government" at 1M articles: 184,000 entries, 277
            # ms against 35 ms serial); on a small server the workers gain nothing.
            s.execute(text("SET LOCAL enable_seqscan = off"))
            s.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            params["q"] = tsquery(terms)
            params["now"] = now
            sql = f"""
                SELECT a.id, a.cluster_id,
                       (ts_rank(a.search_lead, q, 1) + 0.01)
                       * exp(-:decay * least(:max_age, greatest(0.0,
                             extract(epoch FROM (:now - a.published))::float8 / 3600.0)))
                       AS score
                FROM articles a, to_tsquery('english', :q) AS q
                WHERE a.search @@ q AND a.published >= :since
                  AND a.status = 'ok' AND a.cluster_id + 0 IS NOT NULL {scope}
                ORDER BY score DESC, a.published DESC, a.id DESC
                LIMIT :page OFFSET :offset"""
        stmt = text(sql).bindparams(*[ts_param(n) for n in ("since", "now") if n in params])
        if feeds is not None:
            stmt = stmt.bindparams(bindparam("feeds", expanding=True))
        return [(int(r[0]), int(r[1]), float(r[2])) for r in s.execute(stmt, params)]

    def recent(
        self,
        since: datetime,
        limit: int = 5,
        *,
        now: datetime | None = None,
        workspace: str | None = None,
    ) -> list[StoryHit]:
        """Top stories overall since ``since``: what a brief shows when a topic has none.

        Ranked by how many outlets carry a story and how recent its latest report is,
        counting (with ``workspace``) only the articles that workspace may read.
        """
        if limit <= 0:
            return []
        now = as_utc(now or utcnow())
        since = as_utc(since)
        with self._session() as s:
            feeds = self._visible(s, workspace)
            if feeds == []:
                return []
            if feeds is None:
                ranked = self._top_clusters(s, since, now, limit, 0)
            else:
                ranked = self._top_visible_clusters(s, since, now, limit, feeds)
            picks: dict[int, tuple[int, float]] = {}
            for cluster_id, score in ranked:
                rep = s.scalar(
                    readable(select(Article.id), feeds)
                    .where(Article.cluster_id == cluster_id)
                    .order_by(Article.published.desc(), Article.id.desc())
                    .limit(1)
                )
                if rep is not None:
                    picks[cluster_id] = (rep, score)
            return self._hits(s, picks, limit, size_bonus=False, feeds=feeds)

    def _top_clusters(
        self, s: Session, since: datetime, now: datetime, limit: int, offset: int
    ) -> list[tuple[int, float]]:
        """Clusters by size and recency (every member counted), best first."""
        hours = (
            "(:now_jd - julianday(c.last_seen)) * 24.0"
            if self.dialect == "sqlite"
            else "extract(epoch FROM (:now - c.last_seen))::float8 / 3600.0"
        )
        greatest = "max" if self.dialect == "sqlite" else "greatest"
        stmt = text(
            f"""SELECT c.id,
                   (1.0 + {SIZE_BONUS} * ln(c.size)) * exp(-:decay * {greatest}(0.0, {hours}))
                   AS score
                FROM clusters c WHERE c.last_seen >= :since
                ORDER BY score DESC, c.last_seen DESC, c.id DESC LIMIT :limit OFFSET :offset"""
        ).bindparams(ts_param("since"), *([ts_param("now")] if self.dialect != "sqlite" else []))
        rows = s.execute(
            stmt,
            {
                "since": since,
                "now": now,
                "now_jd": now.timestamp() / 86400.0 + 2440587.5,
                "decay": _DECAY,
                "limit": limit,
                "offset": offset,
            },
        )
        return [(int(cid), float(score)) for cid, score in rows]

    def _top_visible_clusters(
        self, s: Session, since: datetime, now: datetime, limit: int, feeds: list[int]
    ) -> list[tuple[int, float]]:
        """``_top_clusters`` scored over the members of ``feeds`` only.

        A cluster's score over every member bounds its score over some of them (fewer
        outlets, a latest report no later), so clusters are read best first, in pages
        that double, until the next page's bound is below the ``limit``-th score found.
        """
        best: list[tuple[float, datetime, int]] = []
        offset, page = 0, max(limit * 20, 100)  # one sort of the window usually settles it
        while True:
            rows = self._top_clusters(s, since, now, page, offset)
            counts = s.execute(
                readable(
                    select(Article.cluster_id, func.count(), func.max(Article.published)), feeds
                )
                .where(Article.cluster_id.in_([cid for cid, _ in rows]))
                .group_by(Article.cluster_id)
            )
            for cid, n, last in counts:
                last = as_utc(last) if isinstance(last, datetime) else as_utc(parse_ts(last))
                if cid is None or last < since:
                    continue
                hours = max(0.0, (now - last).total_seconds() / 3600.0)
                score = (1.0 + SIZE_BONUS * math.log(n)) * math.exp(-_DECAY * hours)
                best.append((score, last, int(cid)))
            best = sorted(best, reverse=True)[:limit]
            bound = rows[-1][1] if rows else 0.0
            if len(rows) < page or (len(best) >= limit and bound < best[-1][0] * (1 - 1e-9)):
                return [(cid, score) for score, _, cid in best]
            offset, page = offset + page, page * 2

    def _hits(
        self,
        s: Session,
        picks: dict[int, tuple[int, float]],
        limit: int,
        *,
        size_bonus: bool = True,
        feeds: list[int] | None = None,
    ) -> list[StoryHit]:
        """StoryHits for chosen (cluster -> representative, score), best first; with
        ``feeds``, a story's sources are only the articles of those sources."""
        if not picks:
            return []
        # Each cluster's members numbered oldest first, with their count, in one pass.
        cluster = Article.cluster_id
        numbered = (
            readable(
                select(
                    Article.id,
                    cluster,
                    func.row_number()
                    .over(partition_by=cluster, order_by=(Article.published, Article.id))
                    .label("nth"),
                    func.count().over(partition_by=cluster).label("size"),
                ),
                feeds,
            )
            .where(cluster.in_(list(picks)))
            .subquery()
        )
        first = s.execute(
            select(numbered.c.id, numbered.c.cluster_id, numbered.c.size).where(
                numbered.c.nth <= MAX_STORY_SOURCES
            )
        ).all()
        sizes = {int(cid): int(size) for _, cid, size in first}
        shown = [int(i) for i, _, _ in first] + [rep for rep, _ in picks.values()]
        members: dict[int, list[Article]] = {}
        for art in s.scalars(
            select(Article).where(Article.id.in_(shown)).order_by(Article.published, Article.id)
        ):
            assert art.cluster_id is not None
            members.setdefault(art.cluster_id, []).append(art)
        hits: list[StoryHit] = []
        for cluster_id, (rep_id, score) in picks.items():
            group = members.get(cluster_id, [])
            rep = next((a for a in group if a.id == rep_id), None)
            if rep is None:
                continue
            quote = _best_quote(rep.analysis)
            if quote is None:
                quote = next((q for a in group if (q := _best_quote(a.analysis)) is not None), None)
            size = sizes.get(cluster_id, len(group))  # every member, shown or not
            if size_bonus:
                score *= 1.0 + SIZE_BONUS * math.log(size)
            hits.append(
                StoryHit(
                    cluster_id=cluster_id,
                    headline=rep.title or rep.url,
                    article_id=rep.id,
                    summary=_summary(rep.analysis),
                    quote=quote,
                    sources=tuple(
                        StorySource(a.id, a.title, a.url, a.site, a.published) for a in group
                    ),
                    score=score,
                    published=rep.published,
                    more_sources=size - len(group),
                )
            )
        hits.sort(key=lambda h: (h.score, h.published, h.article_id), reverse=True)
        return hits[:limit]
