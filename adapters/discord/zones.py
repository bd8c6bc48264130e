"""Time zone suggestions for ``/digest subscribe zone:`` (IANA names, from tzdata)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

# Shown first for an empty field: where most of Discord's servers are.
COMMON = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
)


@cache
def _all() -> tuple[str, ...]:
    names = {z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV"))}
    return tuple(sorted(names | {"UTC"}))


def matching_zones(current: str, limit: int = 25) -> list[str]:
    """Zones whose name or city starts with what was typed ("seo" → Asia/Seoul)."""
    typed = current.strip().lower().replace(" ", "_")
    if not typed:
        return list(COMMON[:limit])
    hits = [z for z in _all() if z.lower().startswith(typed)]
    hits += [z for z in _all() if z not in hits and z.lower().split("/")[-1].startswith(typed)]
    hits += [z for z in _all() if z not in hits and typed in z.lower()]
    return hits[:limit]
