"""Digest schedules: what a user types, and the slots it yields, DST included.

A *slot* is one scheduled delivery: a local date and a local time in the
subscription's zone. Its identity is local (``2026-11-01 01:30``), so the hour
that repeats when clocks fall back yields one slot, not two; a local time that
does not exist (02:30 on a spring-forward day) is delivered at the first valid
moment after the gap. We compute slots here rather than trusting APScheduler's
cron trigger, which fires twice in a repeated hour and late after a gap
(measured with APScheduler 3.11); the scheduler only wakes us up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import NewsbriefError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_DAY_SETS = {
    "daily": tuple(range(7)), "everyday": tuple(range(7)), "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4), "weekends": (5, 6), "weekend": (5, 6),
}  # fmt: skip
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.I)
MAX_STORIES = 10
# Limits on what one subscription may ask for (a 5 MB line, 5,000 topics and 1,440
# times a day were all accepted): each refusal says the limit.
MAX_SUBSCRIPTION_CHARS = 1000
MAX_TOPICS = 20
MAX_TIMES_PER_DAY = 24
EVERYTHING = "everything"


class ScheduleError(NewsbriefError):
    pass


@dataclass(frozen=True, slots=True)
class Schedule:
    topics: tuple[str, ...]  # empty: everything
    times: tuple[time, ...]  # local times, sorted
    days: tuple[int, ...]  # 0 = Monday
    tz: str  # IANA name
    max_stories: int = 5
    skip_empty: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def describe(self) -> str:
        topics = ", ".join(self.topics) if self.topics else "everything"
        times = ", ".join(t.strftime("%H:%M") for t in self.times)
        extra = "" if self.skip_empty else ", even when nothing is new"
        return (
            f"{topics} at {times} {self.tz}, {describe_days(self.days)}, "
            f"up to {self.max_stories} stories{extra}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "topics": list(self.topics),
            "times": [t.strftime("%H:%M") for t in self.times],
            "days": list(self.days),
            "tz": self.tz,
            "max_stories": self.max_stories,
            "skip_empty": self.skip_empty,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Schedule:
        return cls(
            topics=tuple(d.get("topics", [])),
            times=tuple(time.fromisoformat(t) for t in d["times"]),
            days=tuple(int(x) for x in d["days"]),
            tz=str(d["tz"]),
            max_stories=int(d.get("max_stories", 5)),
            skip_empty=bool(d.get("skip_empty", True)),
        )


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """One delivery: the local date and time it is for, and the UTC instant it is due."""

    due: datetime  # aware UTC; first valid instant for the local time
    local_date: date
    local_time: time

    @property
    def key(self) -> str:
        return f"{self.local_date.isoformat()}T{self.local_time.strftime('%H:%M')}"

    @classmethod
    def from_key(cls, key: str, due: datetime) -> Slot:
        d, t = key.split("T")
        return cls(due=due, local_date=date.fromisoformat(d), local_time=time.fromisoformat(t))


def describe_days(days: tuple[int, ...]) -> str:
    for name, values in (("every day", tuple(range(7))), ("weekdays", (0, 1, 2, 3, 4))):
        if days == values:
            return name
    if days == (5, 6):
        return "weekends"
    return ", ".join(DAY_NAMES[d].capitalize() for d in days)


# ------------------------------------------------------------------ parsing


def parse_time(text: str) -> time:
    m = _TIME.match(text.strip())
    if not m:
        raise ScheduleError(
            f"I can't read {text!r} as a time: use 24-hour HH:MM like 07:30, or 7:30am"
        )
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    ampm = (m.group("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{text!r} is not a time: with am/pm the hour is 1 to 12")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f"{text!r} is not a time of day: hours run 00–23 and minutes 00–59 (e.g. 07:30)"
        )
    return time(hour, minute)


def parse_zone(text: str) -> str:
    name = text.strip()
    if name.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        lower = name.lower()
        match = next((z for z in available_timezones() if z.lower() == lower), None)
        if match:
            return match
        raise ScheduleError(
            f"{name!r} is not a time zone I know: use an IANA name such as Europe/London, "
            "America/New_York or Asia/Seoul"
        ) from None
    return name


def parse_days(text: str) -> tuple[int, ...]:
    words = [w for w in re.split(r"[,\s]+", text.strip().lower()) if w and w != "and"]
    every = [w for w in words if _DAY_SETS.get(w) == tuple(range(7))]
    others = [w for w in words if w not in every]
    if every and others:  # "daily weekdays": which of the two was meant?
        raise ScheduleError(
            f"{every[0]!r} already means every day: give it or {others[0]!r}, not both"
        )
    days: set[int] = set()
    for w in words:
        if w in _DAY_SETS:
            days.update(_DAY_SETS[w])
        elif "-" in w and all(p in _DAY_ALIASES for p in w.split("-", 1)):
            a, b = (_DAY_ALIASES[p] for p in w.split("-", 1))
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif w in _DAY_ALIASES:
            days.add(_DAY_ALIASES[w])
        else:
            raise ScheduleError(
                f"I can't read {w!r} as days: use daily, weekdays, weekends, or names "
                "like mon,wed,fri or mon-fri"
            )
    return tuple(sorted(days))


def _is_zone_word(word: str) -> bool:
    return "/" in word or word.upper() in {"UTC", "GMT"}


def _is_day_word(word: str) -> bool:
    parts = [p for p in re.split(r"[,-]", word.lower()) if p]
    return bool(parts) and all(p in _DAY_ALIASES or p in _DAY_SETS for p in parts)


def parse_subscription(text: str, *, default_tz: str = "UTC") -> Schedule:
    """Free text the way a Slack user types it:

    ``korea, trade at 07:30 Asia/Seoul weekdays``, ``everything at 8am, 6pm Europe/Paris
    daily max 3``, ``markets at 07:00 America/New_York mon-fri always``.
    """
    if len(text) > MAX_SUBSCRIPTION_CHARS:
        raise ScheduleError(
            f"That subscription is too long ({len(text):,} characters): keep it under "
            f"{MAX_SUBSCRIPTION_CHARS:,}, e.g. /digest subscribe korea, trade at 07:30"
        )
    text = " ".join(text.split())
    # The `at` before a time: a topic may hold the word ("cats at home at 07:30").
    ats = list(re.finditer(r"(?:^|\s)at\s+(?=\S)", text, re.IGNORECASE))
    if not ats:
        raise ScheduleError(
            "Say when, e.g. /digest subscribe korea, trade at 07:30 Asia/Seoul weekdays"
        )
    at = next((a for a in ats if text[a.end()].isdigit()), ats[0])
    topics_text, rest = text[: at.start()], text[at.end() :]
    # Days said before the time ("korea weekdays at 7:30") are days, not part of a topic.
    words = topics_text.split()
    while len(words) > 1:
        if _is_day_word(words[-1]):
            rest = f"{rest} {words.pop()}"
        elif len(words) > 2 and [w.lower() for w in words[-2:]] == ["every", "day"]:
            rest, words = f"{rest} every day", words[:-2]
        else:
            break
    topics_text = " ".join(words)
    topics = tuple(t.strip().lower() for t in topics_text.split(",") if t.strip())
    if not topics:
        raise ScheduleError(
            "Say what the digest is about (topics separated by commas, or `everything`), "
            "e.g. /digest subscribe korea, trade at 07:30 Asia/Seoul"
        )
    if any(t in {EVERYTHING, "all", "all news", "*"} for t in topics):
        topics = ()
    for t in topics:
        if len(t) > 100:
            raise ScheduleError("A topic must be under 100 characters")
    if len(topics) > MAX_TOPICS:
        raise ScheduleError(
            f"That is {len(topics)} topics: one digest follows at most {MAX_TOPICS} topics "
            "(add a second digest for more)"
        )

    times: list[time] = []
    tz = default_tz
    day_words: list[str] = []
    max_stories = 5
    skip_empty = True
    words = rest.replace(",", " , ").split()
    i = 0
    while i < len(words):
        w = words[i]
        lw = w.lower()
        if lw == "every" and i + 1 < len(words) and words[i + 1].lower() == "day":
            day_words.append("daily")  # as describe() says it: "every day"
            i += 2
            continue
        if lw in {",", "and", "on", "in", "every"}:
            i += 1
            continue
        if _TIME.match(w) or (i + 1 < len(words) and words[i + 1].lower() in {"am", "pm"}):
            if i + 1 < len(words) and words[i + 1].lower() in {"am", "pm"}:
                w = w + words[i + 1]
                i += 1
            times.append(parse_time(w))
        elif lw in {"max", "top", "limit"} and i + 1 < len(words):
            i += 1
            if not words[i].isdecimal() or not 1 <= int(words[i]) <= MAX_STORIES:
                raise ScheduleError(f"max takes a number of stories from 1 to {MAX_STORIES}")
            max_stories = int(words[i])
        elif lw in {"always", "even-if-empty"}:
            skip_empty = False
        elif lw in {"skip-empty", "quiet"}:
            skip_empty = True
        elif _is_zone_word(w):
            tz = parse_zone(w)
        elif _is_day_word(w) or lw in _DAY_SETS:
            day_words.append(w)
        elif re.match(r"^\d", w):
            times.append(parse_time(w))  # raises with a clear message ("25:00")
        else:
            raise ScheduleError(
                f"I don't understand {w!r}. The form is: TOPICS at HH:MM [more times] "
                "[Area/City time zone] [daily|weekdays|weekends|mon,wed,fri] [max N] [always]"
            )
        i += 1
    if not times:
        raise ScheduleError("Give at least one time after `at`, e.g. at 07:30")
    if len(set(times)) > MAX_TIMES_PER_DAY:
        raise ScheduleError(
            f"That is {len(set(times))} times a day: a digest comes at most "
            f"{MAX_TIMES_PER_DAY} times a day"
        )
    days = parse_days(" ".join(day_words)) if day_words else tuple(range(7))
    if not days:
        raise ScheduleError("Give at least one day, e.g. weekdays")
    return Schedule(
        topics=topics,
        times=tuple(sorted(set(times))),
        days=days,
        tz=tz,
        max_stories=max_stories,
        skip_empty=skip_empty,
    )


# ------------------------------------------------------------------ slots


def _first_valid_instant(d: date, t: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``d t``; in a spring-forward gap, the end of the gap."""
    local = datetime.combine(d, t, tzinfo=zone)  # fold=0: the first of a repeated hour
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc
    # Nonexistent local time: walk forward minute by minute to the first valid one
    # (gaps are at most a few hours, and this runs once per such slot).
    probe = local.replace(tzinfo=None)
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=zone)
        back = candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back == probe:
            return candidate.astimezone(UTC)
    return utc


def slots_between(schedule: Schedule, start: datetime, end: datetime) -> Iterator[Slot]:
    """Slots due in (start, end], oldest first.

    Times that fall due at one instant (several in one spring-forward gap, or a gap
    time and the time the gap ends at) are one slot, the earliest time's: one post,
    not three at once."""
    zone = schedule.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() in schedule.days:
            previous: datetime | None = None
            for t in schedule.times:  # sorted, so dues never go back within a day
                due = _first_valid_instant(day, t, zone)
                if due != previous and start < due <= end:
                    yield Slot(due=due, local_date=day, local_time=t)
                previous = due
        day += timedelta(days=1)


def next_slot(schedule: Schedule, after: datetime) -> Slot:
    """The first slot strictly after ``after``."""
    span = timedelta(days=8)
    for slot in slots_between(schedule, after, after + span):
        return slot
    raise ScheduleError("this schedule never fires")  # unreachable with ≥1 day and time
