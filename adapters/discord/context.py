"""The interaction a task is answering, so that the core's replies reach it.

The core calls ``respond``/``reply``/``post`` with neutral events; which Discord
interaction they answer (its token, whether it was answered yet) is kept here, in a
context variable set for the task that handles the interaction, and so for
everything it awaits (``asyncio.to_thread`` copies it too).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

import discord

from bot.chat.messages import CommandEvent

Interaction = discord.Interaction[discord.Client]


@dataclass(slots=True)
class Pending:
    """The interaction being handled in this task: the core's answers go to it."""

    interaction: Interaction
    event: CommandEvent | None = None
    question: str | None = None  # /ask: shown above the answer in the thread
    answered: bool = False


CURRENT: contextvars.ContextVar[Pending | None] = contextvars.ContextVar(
    "newsbrief_discord_interaction", default=None
)
