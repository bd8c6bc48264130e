"""Typed lines to neutral events: what a person types at the console, as the core sees it.

``/brief korea`` is a ``CommandEvent``; ``reply 1 why?`` a ``ThreadReplyEvent`` in
post 1's thread, and so is a bare question ("why?") in the thread of the last brief or
digest: what a newcomer types after their first brief. ``@newsbrief korea`` is a
``MentionEvent``, as naming the bot in a Slack or Discord channel is. What is none of
these becomes a ``Hint`` saying what to type instead.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from bot.chat import inputs
from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    ThreadRef,
    ThreadReplyEvent,
    User,
)

PLATFORM = "console"
CHANNEL = ChannelRef(platform=PLATFORM, id="console", name="console")
USER = User(id="console", name="you", is_manager=True)  # the console user manages its channel

HELP_HINT = (
    "Type /help for commands; a question ending in ? asks about the last brief or digest, "
    "`reply N your question` about post N."
)
NO_THREAD_YET = "Ask after a brief or digest: try /brief korea, then your question."
MENTION = "@newsbrief"


@dataclass(frozen=True, slots=True)
class Quit:
    """``quit`` or ``exit``: the console stops."""


@dataclass(frozen=True, slots=True)
class Hint:
    """A line that is no event: the console answers it with ``text``."""

    text: str


ConsoleInput = CommandEvent | ThreadReplyEvent | MentionEvent | Quit | Hint


def parse_line(line: str, user: User = USER, last: str | None = None) -> ConsoleInput | None:
    """One typed line as an event; None for blank lines and ``#`` comments. ``last``: the
    number of the last post with a thread (a brief or digest), where questions go.

    Read as every platform reads what people type (``bot.chat.inputs``): a BOM or
    bytes that were not UTF-8 cannot hide a command, any script's digits number a post.
    """
    line = inputs.typed(line)
    if not line or line.startswith("#"):
        return None
    if line in {"quit", "exit", "/quit", "/exit"}:
        return Quit()
    if line.startswith("/"):
        name, _, rest = line[1:].partition(" ")
        if name.lower() == "newsbrief":  # "/newsbrief help", as on Slack and Discord
            name, _, rest = (rest.strip() or "help").partition(" ")
        return CommandEvent(CHANNEL, user, name.lower(), rest.strip())
    word, _, rest = line.partition(" ")
    if word.lower() == MENTION:
        return MentionEvent(CHANNEL, user, rest.strip())
    if word.lower() == "reply":
        word, _, question = rest.strip().partition(" ")
        number = inputs.number(word)
        if number is None or not question.strip():
            return Hint("To ask about a post, type: reply N your question (e.g. reply 1 why?)")
        thread = ThreadRef(PLATFORM, CHANNEL.id, str(number))
        return ThreadReplyEvent(thread, user, question.strip(), addressed=True)
    if line.endswith("?"):
        if last is None:
            return Hint(NO_THREAD_YET)
        return ThreadReplyEvent(ThreadRef(PLATFORM, CHANNEL.id, last), user, line)
    return Hint(f"I didn't understand {shlex.quote(line[:60])}. {HELP_HINT}")
