"""Thread memory: which articles a posted brief or digest covered, and what was asked.

A part of ``Store`` (``store.threads``), sharing its session factory: follow-ups
survive restarts because they live in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.records import RememberedThread, StoredArticle
from bot.store.schema import Thread, ThreadTurn

ArticleReader = Callable[[Sequence[int]], list[StoredArticle]]


class ThreadRef(Protocol):
    """Where a thread is; ``bot.chat.messages.ThreadRef`` fits, and the store imports no chat."""

    @property
    def platform(self) -> str: ...

    @property
    def channel_id(self) -> str: ...

    @property
    def id(self) -> str: ...


# What every reply runs, built once with parameters (building a statement costs more
# than SQLite's running one of these): the thread by its place (``_place``), its last
# turns, and a new turn kept under it.
_AT_PLACE = (
    Thread.platform == bindparam("platform"),
    Thread.channel_id == bindparam("channel_id"),
    Thread.thread_id == bindparam("thread_id"),
)
_RECALL = select(Thread.id, Thread.kind, Thread.title, Thread.article_ids).where(*_AT_PLACE)
_LAST_TURNS = (
    select(ThreadTurn.question, ThreadTurn.answer)
    .where(ThreadTurn.thread_pk == bindparam("pk"))
    .order_by(ThreadTurn.id.desc())
    .limit(bindparam("limit"))
)
# Core's table, not the mapped class: an ORM insert with parameters is a bulk insert.
_TURNS = ThreadTurn.metadata.tables[ThreadTurn.__tablename__]
_TURN = _TURNS.c
_ADD_TURN = insert(_TURNS).from_select(
    ["thread_pk", "question", "answer", "created_at"],
    select(
        Thread.id,
        bindparam("question", type_=_TURN.question.type),
        bindparam("answer", type_=_TURN.answer.type),
        bindparam("created_at", type_=_TURN.created_at.type),
    ).where(*_AT_PLACE),
)  # a thread unknown to the store: no row is selected, none inserted


def _place(ref: ThreadRef) -> dict[str, str]:
    return {"platform": ref.platform, "channel_id": ref.channel_id, "thread_id": ref.id}


def _thread(s: Session, ref: ThreadRef) -> Thread | None:
    return s.scalar(select(Thread).where(*_AT_PLACE), _place(ref))


def _thread_pk(s: Session, ref: ThreadRef) -> int | None:
    """The thread's row id alone (its article list not read): enough to add or read turns."""
    return s.scalar(select(Thread.id).where(*_AT_PLACE), _place(ref))


def _remembered(row: Thread | Row[Any]) -> RememberedThread:
    ids = tuple(int(i) for i in row.article_ids.get("ids", []))
    return RememberedThread(row.kind, row.title, ids)


def _turns(s: Session, pk: int, limit: int) -> list[tuple[str, dict[str, Any]]]:
    turns = s.execute(_LAST_TURNS, {"pk": pk, "limit": limit}).all()
    return [(q, dict(a)) for q, a in reversed(turns)]


class ThreadMemory:
    """Threads and their turns; ``read_articles`` is the store's reader of articles by id."""

    def __init__(self, session: sessionmaker[Session], read_articles: ArticleReader) -> None:
        self._session = session
        self._read_articles = read_articles

    def save(
        self, ref: ThreadRef, kind: str, title: str | None, article_ids: Sequence[int]
    ) -> None:
        now = datetime.now(UTC)
        try:
            with self._session() as s, s.begin():
                row = _thread(s, ref)
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

    def move(self, old: ThreadRef, new: ThreadRef) -> bool:
        """Give the thread saved under ``old`` the place ``new``; False when there is none.

        A digest's articles are saved under a placeholder before it is posted, and moved
        to the post once the platform has it: a crash between the two leaves the
        placeholder for the recovery, which finds the post and moves it there."""
        with self._session() as s, s.begin():
            row = _thread(s, old)
            if row is None:
                return False
            if _thread_pk(s, new) is not None:  # already moved (a retry): nothing to keep
                s.delete(row)
                return True
            row.platform, row.channel_id, row.thread_id = new.platform, new.channel_id, new.id
            return True

    def get(self, ref: ThreadRef) -> RememberedThread | None:
        with self._session() as s:
            row = _thread(s, ref)
            return None if row is None else _remembered(row)

    def recall(
        self, ref: ThreadRef, limit: int = 5
    ) -> tuple[RememberedThread | None, list[tuple[str, dict[str, Any]]]]:
        """``get`` and ``turns`` together, in one session (a reply needs both: the thread
        row is looked up once, not once for each)."""
        with self._session() as s:
            row = s.execute(_RECALL, _place(ref)).first()
            if row is None:
                return None, []
            return _remembered(row), _turns(s, row.id, limit)

    def articles(self, ref: ThreadRef) -> list[StoredArticle]:
        """The thread's articles that are still readable, in the order it listed them."""
        found = self.get(ref)
        return self._read_articles(found.article_ids) if found else []

    def add_turn(self, ref: ThreadRef, question: str, answer: dict[str, Any]) -> None:
        """Kept under the thread's row, if there is one (one statement: every reply ends
        here)."""
        params = {**_place(ref), "question": question, "answer": answer}
        with self._session() as s, s.begin():
            s.execute(_ADD_TURN, {**params, "created_at": datetime.now(UTC)})

    def turns(self, ref: ThreadRef, limit: int = 5) -> list[tuple[str, dict[str, Any]]]:
        """The last ``limit`` questions and answers, oldest first."""
        with self._session() as s:
            pk = _thread_pk(s, ref)
            return [] if pk is None else _turns(s, pk, limit)
