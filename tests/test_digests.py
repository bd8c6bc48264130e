"""Digest schedules, DST, exactly-once delivery, catch-up, recovery and real crashes."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine

from adapters.console.adapter import CHANNEL, ConsolePlatform
from bot.chat.conversation import Conversation
from bot.chat.messages import ChannelRef, ThreadRef, User
from bot.chat.render import post_markdown
from bot.errors import NewsbriefError
from bot.news.ingest import Ingester
from bot.store import ArticleRecord, Store
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery, slot_key
from digests.schedule import (
    Schedule,
    ScheduleError,
    next_slot,
    parse_subscription,
    slots_between,
)
from tests.fakes.platform import CHANNEL as FAKE_CHANNEL
from tests.fakes.platform import FakePlatform, Sent

WORKER = Path(__file__).parent / "digest_worker.py"


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "topics", "times", "days", "tz"),
    [
        (
            "korea, trade at 07:30 Asia/Seoul weekdays",
            ("korea", "trade"),
            ["07:30"],
            (0, 1, 2, 3, 4),
            "Asia/Seoul",
        ),
        (
            "everything at 8am, 6pm Europe/Paris",
            (),
            ["08:00", "18:00"],
            tuple(range(7)),
            "Europe/Paris",
        ),
        (
            "markets at 7:05 pm america/new_york mon-wed",
            ("markets",),
            ["19:05"],
            (0, 1, 2),
            "America/New_York",
        ),
        ("AI at 06:00 UTC sat, sun", ("ai",), ["06:00"], (5, 6), "UTC"),
        # a topic holding the word "at"; the days as the confirmation words them
        ("x at 7am UTC daily, every day", ("x",), ["07:00"], tuple(range(7)), "UTC"),
        ("cats at home at 7am UTC every day", ("cats at home",), ["07:00"], tuple(range(7)), "UTC"),
        ("at&t at 09:00 Europe/Paris", ("at&t",), ["09:00"], tuple(range(7)), "Europe/Paris"),
    ],
)
def test_subscribe_free_text(
    text: str, topics: tuple[str, ...], times: list[str], days: tuple[int, ...], tz: str
) -> None:
    s = parse_subscription(text)
    assert s.topics == topics
    assert [t.strftime("%H:%M") for t in s.times] == times
    assert s.days == days
    assert s.tz == tz
    assert Schedule.from_json(s.to_json()) == s


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("korea at 25:00", "hours run 00–23"),
        ("korea at 07:30 daily weekdays", "'daily' already means every day"),
        ("korea at 07:30 Mars/Olympus", "not a time zone"),
        (" at 07:30", "what the digest is about"),
        ("korea", "Say when"),
        ("korea at 07:30 someday", "don't understand 'someday'"),
        ("korea at 07:30 max 99", "1 to 10"),
        ("korea at 13pm", "1 to 12"),
    ],
)
def test_bad_subscriptions_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_subscription(text)


# ------------------------------------------------------------------ DST


def _slots(text: str, start: datetime, days: int) -> list[tuple[str, datetime]]:
    s = parse_subscription(text)
    return [(x.key, x.due) for x in slots_between(s, start, start + timedelta(days=days))]


def test_0730_fires_once_on_both_change_days() -> None:
    spring = _slots("x at 07:30 America/New_York", datetime(2026, 3, 7, tzinfo=UTC), 3)
    assert [k for k, _ in spring] == ["2026-03-07T07:30", "2026-03-08T07:30", "2026-03-09T07:30"]
    assert spring[1][1] == datetime(2026, 3, 8, 11, 30, tzinfo=UTC)  # EDT now
    autumn = _slots("x at 07:30 Europe/London", datetime(2026, 10, 24, tzinfo=UTC), 3)
    assert [k for k, _ in autumn] == ["2026-10-24T07:30", "2026-10-25T07:30", "2026-10-26T07:30"]


def test_repeated_hour_yields_one_slot_and_gap_fires_at_next_valid_moment() -> None:
    autumn = _slots("x at 01:30 America/New_York", datetime(2026, 10, 31, 12, tzinfo=UTC), 2)
    assert [k for k, _ in autumn] == ["2026-11-01T01:30", "2026-11-02T01:30"]
    assert autumn[0][1] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30
    spring = _slots("x at 02:30 America/New_York", datetime(2026, 3, 8, tzinfo=UTC), 1)
    # 02:30 does not exist on 8 March; 03:00 EDT (07:00 UTC) is the next valid moment.
    assert spring == [("2026-03-08T02:30", datetime(2026, 3, 8, 7, 0, tzinfo=UTC))]


def test_weekdays_skip_the_weekend_in_the_zone_not_in_utc() -> None:
    # 07:30 in Seoul on Monday is Sunday 22:30 UTC.
    s = parse_subscription("x at 07:30 Asia/Seoul weekdays")
    slot = next_slot(s, datetime(2026, 11, 28, 12, tzinfo=UTC))  # a Saturday
    assert slot.local_date == date(2026, 11, 30) and slot.local_time == time(7, 30)
    assert slot.due == datetime(2026, 11, 29, 22, 30, tzinfo=UTC)


# ------------------------------------------------------------------ delivery


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sample_store(database_url: str) -> Iterator[Store]:
    """The sample articles in SQLite, and in PostgreSQL too when a server is configured."""
    store = Store.open(database_url)
    asyncio.run(Ingester(store, None).ingest_sample())
    try:
        yield store
    finally:
        store.close()


def _keys(record: Path) -> list[str | None]:
    if not record.exists():
        return []
    return [json.loads(line)["key"] for line in record.read_text().splitlines()]


def _subscribe(store: Store, text: str, created: datetime) -> int:
    schedule = parse_subscription(text)
    return store.outbox.add_subscription("console", CHANNEL.id, schedule.to_json(), now=created).id


async def test_each_slot_posts_once_and_passes_are_idempotent(
    sample_store: Store, tmp_path: Path
) -> None:
    created = datetime.now(UTC) - timedelta(hours=2)
    sub = _subscribe(sample_store, "everything at 07:30 UTC daily always", created)
    record = tmp_path / "posts.jsonl"
    console = ConsolePlatform(record, stdin=io.StringIO(), stdout=io.StringIO())
    slot = next_slot(parse_subscription("x at 07:30 UTC"), created)
    clock = Clock(slot.due - timedelta(seconds=1))
    delivery = DigestDelivery(sample_store, {"console": console}, clock=clock)
    assert await delivery.deliver_due() == []
    clock.now = slot.due + timedelta(seconds=2)
    first = await delivery.deliver_due()
    assert [r.outcome for r in first] == ["sent"]
    for _ in range(3):
        assert await delivery.deliver_due() == []
    assert _keys(record) == [slot_key(sub, slot)]
    row = sample_store.outbox.entries(sub)[0]
    assert row.status == "sent" and row.message_ref == "1"
    # The digest's thread is remembered, so follow-up questions there have articles.
    remembered = sample_store.threads.get(ThreadRef("console", CHANNEL.id, "1"))
    assert remembered is not None and remembered[0] == "digest" and remembered[2]


async def test_catch_up_inside_grace_posts_once_outside_is_missed_and_mentioned(
    sample_store: Store, tmp_path: Path
) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday
    _subscribe(sample_store, "everything at 07:30 UTC daily always", t0)
    record = tmp_path / "posts.jsonl"
    out = io.StringIO()
    console = ConsolePlatform(record, stdin=io.StringIO(), stdout=out)
    # Down from Monday 06:00 to Tuesday 09:00: Monday's slot is 25.5 h old (missed),
    # Tuesday's 1.5 h old (inside the 3 h grace): posted once, mentioning Monday.
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    delivery = DigestDelivery(sample_store, {"console": console}, clock=clock)
    results = await delivery.deliver_due()
    assert [(r.slot_key, r.outcome) for r in results] == [
        ("2026-11-23T07:30", "missed"),
        ("2026-11-24T07:30", "sent"),
    ]
    assert len(_keys(record)) == 1
    assert "missed the digest of 2026-11-23 07:30" in out.getvalue()
    # A restart later the same day changes nothing.
    again = DigestDelivery(sample_store, {"console": console}, clock=clock, holder="other")
    assert await again.deliver_due() == []
    assert len(_keys(record)) == 1


async def test_skip_when_nothing_is_new(sample_store: Store, tmp_path: Path) -> None:
    t0 = datetime.now(UTC) - timedelta(days=1)
    sub = _subscribe(sample_store, "volcanoes at 07:30 UTC daily", t0)
    record = tmp_path / "posts.jsonl"
    console = ConsolePlatform(record, stdin=io.StringIO(), stdout=io.StringIO())
    slot = next_slot(parse_subscription("x at 07:30 UTC"), t0)
    delivery = DigestDelivery(
        sample_store, {"console": console}, clock=Clock(slot.due + timedelta(seconds=1))
    )
    assert [r.outcome for r in await delivery.deliver_due()] == ["skipped"]
    assert _keys(record) == []
    assert sample_store.outbox.entries(sub)[0].status == "skipped"


async def test_a_week_across_dst_with_a_fake_clock(sample_store: Store, tmp_path: Path) -> None:
    start = datetime(2026, 3, 5, tzinfo=UTC)
    _subscribe(sample_store, "everything at 07:30 America/New_York daily always", start)
    _subscribe(sample_store, "everything at 02:30 America/New_York daily always", start)
    record = tmp_path / "posts.jsonl"
    console = ConsolePlatform(record, stdin=io.StringIO(), stdout=io.StringIO())
    clock = Clock(start)
    delivery = DigestDelivery(sample_store, {"console": console}, clock=clock)
    sent: list[tuple[str, datetime]] = []
    while clock.now < start + timedelta(days=7):
        clock.now += timedelta(minutes=10)
        sent += [(r.slot_key, clock.now) for r in await delivery.deliver_due()]
    keys = [k for k, _ in sent]
    assert len(keys) == len(set(keys)) == 14  # 7 days × 2 times, each once
    gap = dict(sent)["2026-03-08T02:30"]
    assert datetime(2026, 3, 8, 7, 0, tzinfo=UTC) <= gap < datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert len(_keys(record)) == 14


async def test_two_deliverers_on_one_database_post_each_slot_once(
    sample_store: Store, tmp_path: Path
) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    for text in ["everything at 07:30 UTC daily always", "korea at 07:30 UTC daily always"]:
        _subscribe(sample_store, text, t0)
    record = tmp_path / "posts.jsonl"
    clock = Clock(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    a = DigestDelivery(
        sample_store,
        {"console": ConsolePlatform(record, stdin=io.StringIO(), stdout=io.StringIO())},
        clock=clock,
        holder="a",
    )
    b = DigestDelivery(
        sample_store,
        {"console": ConsolePlatform(record, stdin=io.StringIO(), stdout=io.StringIO())},
        clock=clock,
        holder="b",
    )
    await asyncio.gather(a.deliver_due(), b.deliver_due(), a.deliver_due(), b.deliver_due())
    keys = _keys(record)
    assert len(keys) == 2 and len(set(keys)) == 2


# ------------------------------------------------------------------ real crashes


def _worker(
    db: str, record: Path, now: datetime, fault: str | None = None, holder: str = "w"
) -> subprocess.CompletedProcess[str]:
    """One delivery pass in a process of its own; ``fault``: where it SIGKILLs itself."""
    crash = [fault] if fault else []
    return subprocess.run(
        [sys.executable, str(WORKER), db, str(record), now.isoformat(), holder, *crash],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("fault", ["before_post", "after_post", "after_complete"])
def test_sigkill_at_each_point_still_posts_exactly_once(
    sample_store: Store, tmp_path: Path, fault: str
) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    _subscribe(sample_store, "everything at 07:30 UTC daily always", t0)
    db = sample_store.engine.url.render_as_string(hide_password=False)
    record = tmp_path / "posts.jsonl"
    due = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    crashed = _worker(db, record, due + timedelta(seconds=1), fault, holder="first")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    # Restarted a minute later (the lease of 30 s has run out): recover, never repeat.
    restarted = _worker(db, record, due + timedelta(minutes=1), holder="second")
    assert restarted.returncode == 0, restarted.stderr
    assert _keys(record) == ["newsbrief-digest:1:2026-11-23T07:30"]
    row = sample_store.outbox.entries()[0]
    assert row.status == "sent" and row.message_ref == "1"
    expected = {"before_post": "sent", "after_post": "recovered", "after_complete": None}[fault]
    assert (expected or "") in restarted.stdout
    if expected is None:
        assert restarted.stdout.strip() == ""
    # Wherever the crash came, follow-ups under the digest are answered from its articles.
    thread = sample_store.threads.get(ThreadRef("console", CHANNEL.id, "1"))
    assert thread is not None and thread.kind == "digest" and thread.article_ids
    unposted = ThreadRef("console", CHANNEL.id, "unposted:newsbrief-digest:1:2026-11-23T07:30")
    assert sample_store.threads.get(unposted) is None


def test_restart_before_the_lease_runs_out_waits(sample_store: Store, tmp_path: Path) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    _subscribe(sample_store, "everything at 07:30 UTC daily always", t0)
    db = sample_store.engine.url.render_as_string(hide_password=False)
    record = tmp_path / "posts.jsonl"
    due = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert _worker(db, record, due, "before_post", holder="first").returncode == -signal.SIGKILL
    early = _worker(db, record, due + timedelta(seconds=5), holder="second")
    assert "busy" in early.stdout and _keys(record) == []
    late = _worker(db, record, due + timedelta(seconds=40), holder="second")
    assert "sent" in late.stdout and len(_keys(record)) == 1


def test_two_real_processes_post_each_slot_once(sample_store: Store, tmp_path: Path) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    for i in range(6):
        _subscribe(sample_store, f"everything at 07:{30 + i} UTC daily always", t0)
    db = sample_store.engine.url.render_as_string(hide_password=False)
    record = tmp_path / "posts.jsonl"
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), db, str(record), now.isoformat(), f"p{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for p in procs:
        p.wait(timeout=120)
        assert p.returncode == 0
    keys = _keys(record)
    assert len(keys) == 6 and len(set(keys)) == 6


# ------------------------------------------------------------------ commands


async def test_only_channel_managers_change_digests(sample_store: Store) -> None:
    delivery = DigestDelivery(sample_store, {})
    conversation = Conversation(sample_store)
    conversation.commands["digest"] = DigestCommands(sample_store, delivery)
    fake = FakePlatform(handler=conversation)
    guest = User("u2", "guest", is_manager=False)
    manager = User("u1", "owner", is_manager=True)

    async def say(user: User, text: str) -> None:
        await fake.command(user, f"/digest {text}")

    def shown() -> str:  # everything the core said so far, as text
        return "\n".join(post_markdown(s.post) for s in fake.workspace.sent.items)

    def public() -> list[Sent]:
        return fake.workspace.sent.matching(lambda s: s.where == "channel")

    await say(guest, "subscribe korea at 07:30 Asia/Seoul")
    assert "Only people who manage this channel" in shown()
    assert sample_store.outbox.subscriptions() == []
    await say(manager, "subscribe korea at 07:30 Asia/Seoul weekdays")
    assert "Subscribed (#1)" in shown() and "(Asia/Seoul)" in shown()
    await say(guest, "list")
    assert "#1: korea at 07:30 Asia/Seoul, weekdays" in shown()
    await say(guest, "unsubscribe 1")
    assert len(sample_store.outbox.subscriptions()) == 1
    await say(manager, "unsubscribe 1")
    assert sample_store.outbox.subscriptions() == []
    await say(manager, "subscribe korea at 25:00")
    assert "hours run 00–23" in shown()
    await say(manager, "subscribe strike, port at 18:00 Europe/London")
    await say(manager, "subscribe malaria at 06:00 UTC")
    await say(guest, "preview")
    assert "Preview — Digest: strike, port" in shown()
    assert "Only you can see this preview." in shown()
    await say(guest, "now")
    assert public() == []  # on-demand posts are for managers
    await say(manager, "now")
    [digest] = public()
    assert digest.post.title.startswith("Digest: strike, port")
    assert digest.thread is not None and sample_store.threads.get(digest.thread) is not None
    await say(manager, "now #99")
    assert "no digest #99" in shown()
    await say(manager, "unsubscribe all")
    assert sample_store.outbox.subscriptions() == []
    await say(manager, "unsubscribe ²")
    assert "Say which digest to stop" in shown()
    # The three refusals (subscribe, unsubscribe, now) reached the guest alone.
    refusals = fake.workspace.sent.matching(
        lambda s: "Only people who manage" in (s.post.text or "")
    )
    assert [(s.where, s.user_id) for s in refusals] == [("user", guest.id)] * 3


async def test_the_same_digest_twice_in_a_channel_is_refused(sample_store: Store) -> None:
    conversation = Conversation(sample_store)
    conversation.commands["digest"] = DigestCommands(sample_store, DigestDelivery(sample_store, {}))
    fake = FakePlatform(handler=conversation)
    manager = User("u1", "owner", is_manager=True)
    await fake.command(manager, "/digest subscribe korea at 07:30 Asia/Seoul")
    await fake.command(manager, "/digest subscribe Korea at 7:30am asia/seoul every day")
    said = [p.text or "" for p in fake.workspace.posts("user")]
    assert said[0].startswith("Subscribed (#1)")
    assert said[1].startswith("This channel already has that digest (#1): korea at 07:30")
    # Another time, or the same digest in another channel, is a digest of its own.
    await fake.command(manager, "/digest subscribe korea at 18:00 Asia/Seoul")
    elsewhere = ChannelRef(fake.name, "other-channel")
    await fake.command(manager, "/digest subscribe korea at 07:30 Asia/Seoul", elsewhere)
    subs = sample_store.outbox.subscriptions()
    assert [(s.channel_id, s.schedule["times"]) for s in subs] == [
        (FAKE_CHANNEL.id, ["07:30"]),
        (FAKE_CHANNEL.id, ["18:00"]),
        ("other-channel", ["07:30"]),
    ]


async def test_help_lists_the_digest_commands_only_once_plugged_in(sample_store: Store) -> None:
    conversation = Conversation(sample_store)
    fake = FakePlatform(handler=conversation)
    await fake.command(User("u1", "owner"), "/help")
    conversation.commands["digest"] = DigestCommands(sample_store, DigestDelivery(sample_store, {}))
    await fake.command(User("u1", "owner"), "/help")
    before, after = (p.text or "" for p in fake.workspace.posts("user"))
    assert "/brief TOPIC" in before and "/digest" not in before
    assert "/digest ...          morning digests for this channel" in after


def test_next_slot_is_computed_in_the_subscription_zone() -> None:
    with time_machine.travel(datetime(2026, 11, 27, 20, 0, tzinfo=UTC), tick=False):
        s = parse_subscription("x at 07:30 Asia/Seoul")
        slot = next_slot(s, datetime.now(UTC))
    assert slot.due.astimezone(s.zone).strftime("%a %H:%M") == "Sat 07:30"
    with pytest.raises(NewsbriefError):
        parse_subscription("x at 07:30 weekdays Mars/Olympus")


class BrokenLookup(ConsolePlatform):
    """A platform whose history lookup fails (an archived channel, an API outage)."""

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        raise RuntimeError("history unavailable")


async def test_one_failing_slot_never_blocks_the_others(
    sample_store: Store, tmp_path: Path
) -> None:
    t0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    first = _subscribe(sample_store, "everything at 07:30 UTC daily always", t0)
    _subscribe(sample_store, "korea at 07:40 UTC daily always", t0)
    # A pending row of a crashed process whose lease has run out: recovering it
    # asks the platform, which fails.
    due = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    sample_store.outbox.claim_slot(
        first, "2026-11-23T07:30", due, "dead", now=due, lease=timedelta(seconds=60)
    )
    record = tmp_path / "posts.jsonl"
    platform = BrokenLookup(record, stdin=io.StringIO(), stdout=io.StringIO())
    clock = Clock(datetime(2026, 11, 23, 7, 45, tzinfo=UTC))
    results = await DigestDelivery(sample_store, {"console": platform}, clock=clock).deliver_due()
    assert ("2026-11-23T07:30", "failed") in [(r.slot_key, r.outcome) for r in results]
    assert ("2026-11-23T07:40", "sent") in [(r.slot_key, r.outcome) for r in results]
    assert _keys(record) == ["newsbrief-digest:2:2026-11-23T07:40"]


async def test_late_arrivals_reach_the_next_digest_and_nothing_repeats(
    sample_store: Store, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    sub = _subscribe(sample_store, "everything at 07:30 UTC daily always", now - timedelta(days=3))
    record = tmp_path / "posts.jsonl"
    out = io.StringIO()
    console = ConsolePlatform(record, stdin=io.StringIO(), stdout=out)
    delivery = DigestDelivery(sample_store, {"console": console}, clock=lambda: now)
    first = await delivery.digest_now(sample_store.outbox.subscriptions()[0])
    assert first is not None and first.items
    ref = await console.post(CHANNEL, first)
    row = sample_store.outbox.claim_slot(
        sub, "x", now - timedelta(minutes=5), "me", now=now, lease=timedelta(seconds=60)
    )
    sample_store.outbox.complete_slot(row.outbox_id, "me", "sent", message_ref=ref.id)
    sample_store.threads.save(ref, "digest", first.title, first.article_ids)
    # A story published before that digest but ingested after it...
    late = ArticleRecord(
        url="https://late.example/volcano",
        title="Volcano erupts near Kessington harbour",
        text="A volcano erupted near the harbour on Monday. " * 20,
        published=now - timedelta(hours=2),
        analysis={"summary": [{"text": "A volcano erupted near the harbour.", "index": 0}]},
    )
    sample_store.upsert_article(late)
    second = await delivery.digest_now(sample_store.outbox.subscriptions()[0])
    assert second is not None
    headlines = [i.headline for i in second.items]
    assert "Volcano erupts near Kessington harbour" in headlines
    assert not set(headlines) & {i.headline for i in first.items}
