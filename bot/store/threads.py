"""Thread memory: which articles a posted brief or digest covered, and what was asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.chat.messages import ThreadRef
from bot.store.records import StoredArticle
from bot.store.schema import Article, Thread, ThreadTurn


class ThreadMemory:
    """Mixed into ``Store``: follow-ups survive restarts because they live in the database."""

    engine: Engine

    def _thread(self, s: Session, ref: ThreadRef) -> Thread | None:
        return s.scalar(
            select(Thread).where(
                Thread.platform == ref.platform,
                Thread.channel_id == ref.channel_id,
                Thread.thread_id == ref.id,
            )
        )

    def save_thread(
        self, ref: ThreadRef, kind: str, title: str | None, article_ids: Sequence[int]
    ) -> None:
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as s, s.begin():
                row = self._thread(s, ref)
                if row is None:
                    s.add(
                        Thread(
                            platform=ref.platform,
                            channel_id=ref.channel_id,
                            thread_id=ref.id,
                            kind=kind,
                            title=title,
                            article_ids={"ids": list(article_ids)},
                            created_at=now,
                        )
                    )
                else:
                    row.kind, row.title = kind, title
                    row.article_ids = {"ids": list(article_ids)}
        except IntegrityError:  # saved concurrently by another process: same content
            pass

    def get_thread(self, ref: ThreadRef) -> tuple[str, str | None, list[int]] | None:
        """(kind, title, article ids) of a remembered thread, or None."""
        with Session(self.engine) as s:
            row = self._thread(s, ref)
            if row is None:
                return None
            return row.kind, row.title, [int(i) for i in row.article_ids.get("ids", [])]

    def thread_articles(self, ref: ThreadRef) -> list[StoredArticle]:
        from bot.store.store import _stored  # a cycle at import time otherwise

        found = self.get_thread(ref)
        if not found:
            return []
        ids = found[2]
        with Session(self.engine) as s:
            rows = s.scalars(select(Article).where(Article.id.in_(ids))).all()
            by_id = {a.id: _stored(a) for a in rows if a.status == "ok"}
        return [by_id[i] for i in ids if i in by_id]

    def add_thread_turn(self, ref: ThreadRef, question: str, answer: dict[str, Any]) -> None:
        with Session(self.engine) as s, s.begin():
            row = self._thread(s, ref)
            if row is None:
                return
            s.add(
                ThreadTurn(
                    thread_pk=row.id,
                    question=question,
                    answer=answer,
                    created_at=datetime.now(UTC),
                )
            )

    def thread_turns(self, ref: ThreadRef, limit: int = 5) -> list[tuple[str, dict[str, Any]]]:
        """The last ``limit`` questions and answers, oldest first."""
        with Session(self.engine) as s:
            row = self._thread(s, ref)
            if row is None:
                return []
            turns = s.scalars(
                select(ThreadTurn)
                .where(ThreadTurn.thread_pk == row.id)
                .order_by(ThreadTurn.id.desc())
                .limit(limit)
            ).all()
            return [(t.question, dict(t.answer)) for t in reversed(turns)]
