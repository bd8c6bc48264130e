"""Sources and who reads them: every feed, OPML list and page, its URL kept once.

A source's full URL may carry a password or a token (``https://u:pw@host/rss``,
``?api_key=…``). It is stored once, in ``feeds``: ``url`` is the display-safe form
(:func:`bot.urls.redact_url`, the one redaction rule), ``secret_url`` the
Fernet ciphertext of the full URL when it had credentials, ``url_key`` its identity.
Articles name their sources by id (``article_sources``); no other row repeats a feed
URL, so a dump of the database alone yields no password.

Who reads a source: the workspaces in ``feed_owners`` ("slack:T024BE7LD",
"discord:81384788765712384", "console:#console") and the operator (``OPERATOR``:
``newsbrief ingest``, the sample, ``NEWSBRIEF_FEEDS``), whose sources every workspace
sees. A feed that an OPML list names is read by whoever reads the list. The store's
searches and reads take a workspace key and see only what :meth:`FeedSources.visible`
gives: the operator's sources and that workspace's own.

A part of ``Store`` (``store.sources``), sharing its session factory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    CompoundSelect,
    Connection,
    CursorResult,
    String,
    bindparam,
    delete,
    func,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.records import FeedState, SourceKind, SourceRow
from bot.store.schema import ArticleSource, Feed, FeedListing, FeedOwner
from bot.urls import has_credentials, redact_url

if TYPE_CHECKING:
    from bot.crypto import SecretBox

OPERATOR = "operator"  # has no colon, so it is never a workspace key (which always has one)
# The source of articles stored with no feed (``ArticleRecord.feed_id`` None): the
# operator's own code, tests, benchmarks. Shared like every operator source.
DIRECT_URL = "urn:newsbrief:stored-directly"
POLLED_KINDS: tuple[SourceKind, ...] = ("feed", "opml")
# ``added_by`` of the operator's sources that ``NEWSBRIEF_FEEDS`` names: the ones that go
# when the setting no longer names them (``newsbrief ingest``'s and the sample stay).
CONFIGURED = "NEWSBRIEF_FEEDS"

BoxSource = Callable[[], "SecretBox"]


def workspace_key(platform: str, workspace: str | None, channel_id: str) -> str:
    """The scope a channel's sources belong to: its Slack team or Discord guild, and
    when the adapter names none (the console, a Discord DM), the channel alone, so
    that nothing is ever shared more widely than where it was added."""
    return f"{platform}:{workspace}" if workspace else f"{platform}:#{channel_id}"


def url_key(url: str, box: BoxSource) -> str:
    """The identity of a full URL: a SHA-256 when it has no secret (its shown form is
    the URL itself, so nothing is hidden), an HMAC under the secret key when it has one
    (a bare hash of a short token could be reversed by hashing guesses).

    The key needs the secret key only for URLs with credentials, so instances without a
    shared ``NEWSBRIEF_SECRET_KEY`` still agree on every other feed. Changing what
    counts as a credential changes the key of the URLs concerned: rekey in a migration.
    """
    full = url.strip()
    if has_credentials(full):
        return "hmac:" + box().digest(full)
    return "sha256:" + hashlib.sha256(full.encode()).hexdigest()


def settings_box() -> SecretBox:
    """The key of the running configuration (``NEWSBRIEF_SECRET_KEY`` or the key file)."""
    from bot.config import get_settings
    from bot.crypto import SecretBox

    return SecretBox.from_settings(get_settings())


@dataclass(frozen=True, slots=True)
class Via:
    """How a source comes to be read: a workspace (or the operator) added it, or a list
    that someone reads names it. ``Via()`` changes nothing (a poll).

    ``new_only``: ``owner`` becomes a reader only of a source seen for the first time, so
    that reading a known source again (a poll, the operator re-ingesting a URL that a
    workspace added) never shares it.
    """

    owner: str | None = None
    added_by: str | None = None
    list_id: int | None = None
    new_only: bool = False


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _failure_run(row: Feed, state: FeedState) -> None:
    """Where a run of failures starts and ends (for ``bot.feed_alerts``), kept by the
    store from the poll's ``consecutive_failures`` so every poller gets it for free: the
    first failure after a success starts it at its poll time; a success ends it, and
    forgets that it was reported, so a later failure is a new report."""
    if state.consecutive_failures <= 0:
        row.failing_since = row.failure_reported_at = None
    elif row.failing_since is None:
        row.failing_since = state.last_polled or _utcnow()


def _visible_sources() -> CompoundSelect[int]:
    owned = select(FeedOwner.feed_id).where(
        FeedOwner.workspace.in_([OPERATOR, bindparam("workspace", type_=String)])
    )
    listed = select(FeedListing.feed_id).where(FeedListing.list_id.in_(owned))
    return union(owned, listed)


# The query of :meth:`FeedSources.visible` (parameter ``workspace``), to run alone or
# inside another: one statement, built once (every reply and brief asks it, and building
# a statement costs more than SQLite's running this one; UNION drops the repeats).
VISIBLE_SOURCES = _visible_sources()


class FeedSources:
    """Sources, their polling state, their readers; ``visible`` decides what a workspace sees."""

    def __init__(self, session: sessionmaker[Session], box: BoxSource | None = None) -> None:
        self._session = session
        self._box_source = box or settings_box
        self._box: SecretBox | None = None

    def box(self) -> SecretBox:
        """The secret key, read on first need: only URLs with credentials need it."""
        if self._box is None:
            self._box = self._box_source()
        return self._box

    def key(self, url: str) -> str:
        return url_key(url, self.box)

    # ------------------------------------------------------------ reading
    def _find(self, s: Session, url: str) -> Feed | None:
        return s.scalar(select(Feed).where(Feed.url_key == self.key(url)))

    def get(self, url: str) -> FeedState | None:
        with self._session() as s:
            row = self._find(s, url)
            return None if row is None else self._state(row)

    def get_id(self, feed_id: int) -> FeedState | None:
        with self._session() as s:
            row = s.get(Feed, feed_id)
            return None if row is None else self._state(row)

    def all(self) -> list[FeedState]:
        with self._session() as s:
            return [self._state(f) for f in s.scalars(select(Feed).order_by(Feed.url, Feed.id))]

    def due(self, now: datetime) -> list[FeedState]:
        """Polled sources never polled or whose next poll time has come, most overdue first."""
        with self._session() as s:
            rows = s.scalars(
                select(Feed)
                .where(Feed.kind.in_(POLLED_KINDS))
                .where((Feed.next_poll.is_(None)) | (Feed.next_poll <= now))
                .order_by(Feed.next_poll.is_not(None), Feed.next_poll, Feed.url, Feed.id)
            )
            return [self._state(f) for f in rows]

    def listing(self, workspace: str) -> list[SourceRow]:
        """The sources ``workspace`` added itself (the operator's: ``OPERATOR``), oldest first."""
        with self._session() as s:
            rows = s.execute(
                select(Feed, FeedOwner.added_at)
                .join(FeedOwner, FeedOwner.feed_id == Feed.id)
                .where(FeedOwner.workspace == workspace, Feed.url != DIRECT_URL)
                .order_by(FeedOwner.added_at, Feed.id)
            ).all()
            ids = [f.id for f, _ in rows]
            articles: dict[int, int] = {
                fid: n
                for fid, n in s.execute(
                    select(ArticleSource.feed_id, func.count())
                    .where(ArticleSource.feed_id.in_(ids))
                    .group_by(ArticleSource.feed_id)
                )
            }
            listed: dict[int, int] = {
                lid: n
                for lid, n in s.execute(
                    select(FeedListing.list_id, func.count())
                    .where(FeedListing.list_id.in_(ids))
                    .group_by(FeedListing.list_id)
                )
            }
            return [
                SourceRow(
                    id=f.id,
                    kind=cast(SourceKind, f.kind),
                    url=f.url,
                    title=f.title,
                    articles=int(articles.get(f.id, 0)),
                    feeds=int(listed.get(f.id, 0)),
                    poll_interval_s=f.poll_interval_s,
                    last_error=f.last_error,
                    added_at=added,
                )
                for f, added in rows
            ]

    def visible(self, s: Session, workspace: str) -> list[int]:
        """Ids of the sources ``workspace`` may read: the operator's and its own, and the
        feeds of the lists among them."""
        return sorted(s.scalars(VISIBLE_SOURCES, {"workspace": workspace}))

    # ------------------------------------------------------------ failing feeds
    def failing(self, before: datetime, limit: int = 100) -> list[FeedState]:
        """Polled sources failing since ``before`` or earlier and not reported yet."""
        with self._session() as s:
            rows = s.scalars(
                select(Feed)
                .where(Feed.kind.in_(POLLED_KINDS), Feed.consecutive_failures > 0)
                .where(Feed.failing_since <= before, Feed.failure_reported_at.is_(None))
                .order_by(Feed.failing_since, Feed.id)
                .limit(limit)
            )
            return [self._state(f) for f in rows]

    def readers(self, feed_id: int) -> list[tuple[str, str | None]]:
        """(workspace, who added it) for each reader of ``feed_id``, one row per workspace:
        its own owner row first, else the first list of its own that names the feed."""
        with self._session() as s:
            own = s.execute(
                select(FeedOwner.workspace, FeedOwner.added_by, FeedOwner.added_at)
                .where(FeedOwner.feed_id == feed_id)
                .order_by(FeedOwner.added_at)
            ).all()
            via_lists = s.execute(
                select(FeedOwner.workspace, FeedOwner.added_by, FeedOwner.added_at)
                .join(FeedListing, FeedListing.list_id == FeedOwner.feed_id)
                .where(FeedListing.feed_id == feed_id)
                .order_by(FeedOwner.added_at)
            ).all()
        found: dict[str, str | None] = {}
        for workspace, added_by, _ in [*own, *via_lists]:
            found.setdefault(workspace, added_by)
        return sorted(found.items())

    @staticmethod
    def mark_reported(s: Session, feed_id: int, since: datetime, at: datetime | None) -> bool:
        """In the caller's (fenced) transaction: this run of failures reported at ``at``
        (None: not reported after all). True only for the one caller that changed it, and
        only while the feed still fails since ``since`` (a success in between ends it)."""
        reported = Feed.failure_reported_at
        n = s.execute(
            update(Feed)
            .where(Feed.id == feed_id, Feed.failing_since == since)
            .where(reported.is_(None) if at is not None else reported.is_not(None))
            .values(failure_reported_at=at)
        )
        return bool(cast("CursorResult[Any]", n).rowcount)

    # ------------------------------------------------------------ writing
    def save(self, state: FeedState, via: Via | None = None) -> FeedState:
        """Insert or update the source of ``state`` (by id, else by URL) and its polling
        state; ``via`` adds a reader. Returns the state as stored, with its id."""
        for attempt in range(2):
            try:
                with self._session() as s, s.begin():
                    row = s.get(Feed, state.id) if state.id is not None else None
                    row = row or self._find(s, state.url)
                    created = row is None
                    if row is None:
                        row = self._new(state.url, state.kind)
                        s.add(row)
                    row.kind = state.kind
                    row.title, row.etag = state.title, state.etag
                    row.last_modified = state.last_modified
                    row.last_polled, row.next_poll = state.last_polled, state.next_poll
                    row.poll_interval_s = state.poll_interval_s
                    row.consecutive_failures = state.consecutive_failures
                    row.last_error, row.last_status = state.last_error, state.last_status
                    _failure_run(row, state)
                    s.flush()
                    if via is not None:
                        self._add_reader(s, row.id, via, created=created)
                    return self._state(row)
            except IntegrityError:  # another instance registered the same URL first
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def register(self, url: str, kind: SourceKind, via: Via) -> FeedState:
        """The source of ``url`` read by ``via``: created (due at once) if it is new, its
        polling state left as it is if not. What ``NEWSBRIEF_FEEDS`` does at start-up."""
        for attempt in range(2):
            try:
                with self._session() as s, s.begin():
                    row = self._find(s, url)
                    created = row is None
                    if row is None:
                        row = self._new(url, kind)
                        s.add(row)
                        s.flush()
                    self._add_reader(s, row.id, via, created=created)
                    return self._state(row)
            except IntegrityError:  # another instance registered the same URL first
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _new(self, url: str, kind: SourceKind) -> Feed:
        full = url.strip()
        secret = has_credentials(full)
        return Feed(
            kind=kind,
            url=redact_url(full),
            secret_url=self.box().encrypt(full) if secret else None,
            url_key=self.key(full),
            poll_interval_s=900,
            consecutive_failures=0,
        )

    def _add_reader(self, s: Session, feed_id: int, via: Via, *, created: bool) -> None:
        owns = via.owner is not None and (created or not via.new_only)
        if owns and via.owner is not None and s.get(FeedOwner, (feed_id, via.owner)) is None:
            s.add(
                FeedOwner(
                    feed_id=feed_id, workspace=via.owner, added_by=via.added_by, added_at=_utcnow()
                )
            )
        listed = via.list_id is not None and via.list_id != feed_id
        if listed and s.get(FeedListing, (via.list_id, feed_id)) is None:
            s.add(FeedListing(list_id=via.list_id, feed_id=feed_id))
        s.flush()

    def remove(self, feed_id: int, workspace: str) -> SourceRow | None:
        """``workspace`` stops reading source ``feed_id``; None if it was not one of its own.

        A source nobody reads any more is deleted, with its encrypted URL, and so are the
        feeds of a deleted list that nobody else reads. Its articles stay stored, but
        nobody sees them: they are visible only through a source someone reads.
        """
        found = [r for r in self.listing(workspace) if r.id == feed_id]
        if not found:
            return None
        with self._session() as s, s.begin():
            s.execute(
                delete(FeedOwner).where(
                    FeedOwner.feed_id == feed_id, FeedOwner.workspace == workspace
                )
            )
            self._prune(s, [feed_id])
        return found[0]

    def configure(self, feed_ids: Collection[int]) -> int:
        """``NEWSBRIEF_FEEDS`` now names exactly ``feed_ids`` (registered): the operator
        stops reading those it named before and no longer does. Returns how many.

        A source the operator read before this was recorded (no ``added_by``) and that the
        setting names is counted as the setting's from now on."""
        with self._session() as s, s.begin():
            if feed_ids:
                s.execute(
                    update(FeedOwner)
                    .where(
                        FeedOwner.workspace == OPERATOR,
                        FeedOwner.feed_id.in_(feed_ids),
                        FeedOwner.added_by.is_(None),
                    )
                    .values(added_by=CONFIGURED)
                )
            dropped = list(
                s.scalars(
                    delete(FeedOwner)
                    .where(
                        FeedOwner.workspace == OPERATOR,
                        FeedOwner.added_by == CONFIGURED,
                        FeedOwner.feed_id.not_in(feed_ids),
                    )
                    .returning(FeedOwner.feed_id)
                )
            )
            self._prune(s, dropped)
        return len(dropped)

    def relist(self, list_id: int, feed_ids: Collection[int]) -> int:
        """The list ``list_id`` now names exactly ``feed_ids``: the feeds it no longer
        names stop being read through it. Returns how many."""
        with self._session() as s, s.begin():
            dropped = list(
                s.scalars(
                    delete(FeedListing)
                    .where(FeedListing.list_id == list_id, FeedListing.feed_id.not_in(feed_ids))
                    .returning(FeedListing.feed_id)
                )
            )
            self._prune(s, dropped)
        return len(dropped)

    def _prune(self, s: Session, feed_ids: Iterable[int]) -> None:
        for feed_id in feed_ids:
            read = s.scalar(select(FeedOwner.feed_id).where(FeedOwner.feed_id == feed_id).limit(1))
            listed = s.scalar(
                select(FeedListing.list_id).where(FeedListing.feed_id == feed_id).limit(1)
            )
            if read is not None or listed is not None:
                continue
            children = list(
                s.scalars(select(FeedListing.feed_id).where(FeedListing.list_id == feed_id))
            )
            s.execute(delete(Feed).where(Feed.id == feed_id))
            s.flush()
            self._prune(s, children)

    def link(self, s: Session, article_id: int, feed_id: int | None) -> None:
        """Article ``article_id`` came through ``feed_id`` (None: stored directly)."""
        if feed_id is None:
            feed_id = self._direct_id(s)
        values = {"article_id": article_id, "feed_id": feed_id}
        if s.bind is not None and s.bind.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert  # PostgreSQL only

            s.execute(pg_insert(ArticleSource).values(values).on_conflict_do_nothing())
        else:
            s.execute(sqlite_insert(ArticleSource).values(values).on_conflict_do_nothing())

    def _direct_id(self, s: Session) -> int:
        found = s.scalar(select(Feed.id).where(Feed.url_key == self.key(DIRECT_URL)))
        if found is not None:
            return found
        row = self._new(DIRECT_URL, "local")
        row.title = "Articles stored directly"
        s.add(row)
        s.flush()
        self._add_reader(s, row.id, Via(owner=OPERATOR), created=True)
        return row.id

    # ------------------------------------------------------------ rows
    def _state(self, f: Feed) -> FeedState:
        full = self.box().decrypt(f.secret_url) if f.secret_url else f.url
        return FeedState(
            url=full,
            id=f.id,
            kind=cast(SourceKind, f.kind),
            title=f.title,
            etag=f.etag,
            last_modified=f.last_modified,
            last_polled=f.last_polled,
            next_poll=f.next_poll,
            poll_interval_s=f.poll_interval_s,
            consecutive_failures=f.consecutive_failures,
            last_error=f.last_error,
            last_status=f.last_status,
            failing_since=f.failing_since,
            failure_reported_at=f.failure_reported_at,
        )


def encrypt_plain_credentials(bind: Connection) -> None:
    """A migration's step (0013, 0014): sources whose URL ``has_credentials`` counts now,
    but that were stored in plain text, get what every URL with credentials gets: shown
    redacted, kept whole only in ``secret_url`` (encrypted), keyed by an HMAC so the
    store finds them again. Other rows are not touched."""
    rows = bind.execute(text("SELECT id, url FROM feeds WHERE secret_url IS NULL")).all()
    todo = [(feed_id, url) for feed_id, url in rows if has_credentials(url)]
    if not todo:
        return
    box = settings_box()
    for feed_id, url in todo:
        bind.execute(
            text(
                "UPDATE feeds SET url = :shown, secret_url = :secret, url_key = :key WHERE id = :id"
            ),
            {
                "shown": redact_url(url),
                "secret": box.encrypt(url.strip()),
                "key": url_key(url, lambda: box),
                "id": feed_id,
            },
        )
