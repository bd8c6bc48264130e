"""Who manages a channel on Slack: workspace admins and owners, plus named people.

Admins and owners come from ``users.info``; ``NEWSBRIEF_SLACK_MANAGERS`` adds
user ids (``U…``/``W…``) and user groups (``S…``, members from
``usergroups.users.list``). Answers are cached for a few minutes: a command
should not cost two API calls, and a demoted admin loses the right soon enough.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.events import Person
from bot.chat.messages import User

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class Managers:
    def __init__(
        self,
        spec: str = "",
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ids = [part.strip() for part in spec.split(",") if part.strip()]
        self.user_ids = frozenset(i for i in ids if i[0] in "UW")
        self.group_ids = tuple(i for i in ids if i[0] == "S")
        self._ttl = ttl
        self._clock = clock
        self._users: dict[tuple[str | None, str], tuple[float, dict[str, Any]]] = {}
        self._groups: dict[tuple[str | None, str], tuple[float, frozenset[str]]] = {}

    async def user(self, client: AsyncWebClient, token: str, person: Person) -> User:
        """The person as the core sees them: a name, and whether they manage here."""
        info = await self._user_info(client, token, person.team, person.id)
        admin = any(info.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))
        manager = admin or person.id in self.user_ids or await self._in_group(client, token, person)
        name = person.name or str(info.get("name") or person.id)
        return User(person.id, name, manager, managers=await self.describe(client, token, person))

    async def describe(self, client: AsyncWebClient, token: str, person: Person) -> str:
        """ "a workspace admin or owner, Ana Ruiz, or a member of the managers' user group"."""
        who = ["a workspace admin or owner"]
        for uid in sorted(self.user_ids):
            info = await self._user_info(client, token, person.team, uid)
            who.append(str(info.get("real_name") or info.get("name") or "@" + uid))
        if self.group_ids:
            who.append("a member of the newsbrief managers' user group")
        return ", ".join(who[:-1]) + " or " + who[-1] if len(who) > 1 else who[0]

    async def _user_info(
        self, client: AsyncWebClient, token: str, team: str | None, user_id: str
    ) -> dict[str, Any]:
        key = (team, user_id)
        hit = self._users.get(key)
        if hit and hit[0] > self._clock():
            return hit[1]
        try:
            resp = await client.users_info(token=token, user=user_id)
            info: dict[str, Any] = dict(resp.get("user") or {})
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            return {}  # not cached: the next command asks again
        self._users[key] = (self._clock() + self._ttl, info)
        return info

    async def _in_group(self, client: AsyncWebClient, token: str, person: Person) -> bool:
        for group in self.group_ids:
            key = (person.team, group)
            hit = self._groups.get(key)
            if hit is None or hit[0] <= self._clock():
                try:
                    resp = await client.usergroups_users_list(token=token, usergroup=group)
                except SlackApiError as exc:
                    log.warning("usergroups.users.list for %s failed: %s", group, exc)
                    continue
                hit = (self._clock() + self._ttl, frozenset(resp.get("users") or ()))
                self._groups[key] = hit
            if person.id in hit[1]:
                return True
        return False
