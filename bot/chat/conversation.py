"""Commands and threaded follow-ups, for every platform at once.

Adapters turn platform events into ``CommandEvent`` / ``ThreadReplyEvent`` /
``MentionEvent`` and call this handler; it answers through the ``Platform`` it was called with.
Every brief it posts is remembered in the store with its articles, so a
question in that thread is answered from them — also after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from bot.chat import inputs
from bot.chat.briefs import DEFAULT_SINCE, build_brief, parse_brief_args
from bot.chat.mentions import is_thanks, read_mention
from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    Post,
    ThreadRef,
    ThreadReplyEvent,
)
from bot.chat.platform import Platform
from bot.chat.render import link_url
from bot.errors import NewsbriefError
from bot.nlp.answers import (
    Answer,
    SourceArticle,
    Turn,
    answer,
    is_question,
    keep_article,
    kept_article,
)
from bot.store import Store
from bot.store.sources import workspace_key

log = logging.getLogger(__name__)

CommandFn = Callable[[Platform, CommandEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HelpLine:
    """A command's line in /help: how to type it and what it does."""

    usage: str
    does: str

    def __str__(self) -> str:
        return f"{self.usage:<19}  {self.does}"


@runtime_checkable
class CommandGroup(Protocol):
    """Commands plugged in from outside the core (``/digest ...``), bringing their help line."""

    help_line: HelpLine

    async def __call__(self, platform: Platform, event: CommandEvent) -> None: ...


def require_manager(event: CommandEvent, what: str, instead: str) -> None:
    """The one rule for changing a channel: only its managers may; the refusal says who can."""
    if not event.user.is_manager:
        raise NewsbriefError(
            f"Only people who manage this channel can {what}. "
            f"Ask {event.user.managers or 'a channel manager'}, or {instead}."
        )


BRIEF_HELP = HelpLine(
    "/brief TOPIC [SPAN]",
    "a short brief on TOPIC from recent news, e.g. /brief korea or /brief trade 7d",
)
HELP_HELP = HelpLine("/newsbrief help", "this list")  # Slack keeps /help for its own
REPLY_HELP = """\
Reply in the thread under a brief or digest to ask a follow-up question, e.g.
"what did Kim's sister say?" or "why did the talks end?". Mention me with a topic
in the channel for its brief, e.g. "@newsbrief korea"."""
# A question said to the bot outside any thread: it has no articles to answer from.
NOT_IN_A_THREAD = (
    "I answer questions in the thread under a brief or digest, from its stories. "
    "For the news on a topic, mention me with it (e.g. @newsbrief korea) or type /brief korea."
)


MAX_QUESTION_CHARS = inputs.MAX_QUESTION_CHARS  # one limit, checked by inputs.question


EXPIRED_POST = Post(
    kind="error",
    title="This thread has expired",
    text="I no longer answer questions here. Try /brief TOPIC for a fresh brief on it.",
)


def error_post(message: str) -> Post:
    return Post(kind="error", title="Sorry", text=message)


class Conversation:
    """The core's ``EventHandler``."""

    def __init__(
        self,
        store: Store,
        *,
        default_since: timedelta = DEFAULT_SINCE,
        brief_limit: int = 5,
        extra_commands: dict[str, CommandFn] | None = None,
    ) -> None:
        self.store = store
        self.default_since = default_since
        self.brief_limit = brief_limit
        self.commands: dict[str, CommandFn] = {
            "brief": self._brief,
            "help": self._help,
            **(extra_commands or {}),
        }

    async def on_command(self, platform: Platform, event: CommandEvent) -> None:
        handler = self.commands.get(event.command.lower())
        if handler is None:
            await platform.respond(
                event,
                error_post(
                    f"I don't know the command {event.command!r}. "
                    "Type /newsbrief help for the list."
                ),
            )
            return
        try:
            await handler(platform, event)
        except NewsbriefError as exc:
            await platform.respond(event, error_post(str(exc)))
        except Exception:
            log.exception("command /%s failed", event.command)
            await platform.respond(
                event, error_post("Something went wrong on my side. Please try again in a minute.")
            )

    async def on_thread_reply(self, platform: Platform, event: ThreadReplyEvent) -> bool:
        try:
            thread = await asyncio.to_thread(self.store.threads.get, event.thread)
        except Exception:
            log.exception("looking up thread %s failed", event.thread)
            return False
        if thread is None:
            return False
        if thread.kind == "expired":  # bot.store.retention: its time for follow-ups is over
            await platform.reply(event.thread, EXPIRED_POST)
            return True
        try:
            asked = inputs.question(event.text)  # the CLI's `ask` reads it the same way
        except NewsbriefError as exc:
            if event.addressed or event.text.rstrip().endswith("?"):
                await platform.reply(event.thread, error_post(str(exc)))
            return True  # else a long message of the team's talk there: no question to us
        if not is_question(asked) and (not event.addressed or is_thanks(asked)):
            return True  # "thanks!" under a digest, also to us: talk, not a question
        try:
            result = await asyncio.to_thread(self.answer_in_thread, event.thread, asked)
        except Exception:
            log.exception("answering in thread %s failed", event.thread)
            await platform.reply(
                event.thread, error_post("Something went wrong on my side. Please ask again.")
            )
            return True
        await platform.reply(event.thread, answer_post(result))
        return True

    async def on_mention(self, platform: Platform, event: MentionEvent) -> None:
        """A mention reads as a command (``bot.chat.mentions``): "@newsbrief korea" as
        ``/brief korea``, a bare "@newsbrief" or "hi" as ``/help``, thanks as nothing.

        Other commands are not run from a mention: they change a channel, and their slash
        command is where each platform checks who manages it (``require_manager``).
        """
        try:
            said = read_mention(inputs.typed(event.text), self.commands)
            if said.wants == "help":
                await platform.respond(event, self._help_post())
            elif said.wants == "command":
                raise NewsbriefError(f"Type that as a command: /{said.text}")
            elif said.wants == "elsewhere":
                raise NewsbriefError(NOT_IN_A_THREAD)
            elif said.wants == "brief":
                await self._brief(
                    platform, CommandEvent(event.channel, event.user, "brief", said.text)
                )
        except NewsbriefError as exc:
            await platform.respond(event, error_post(str(exc)))
        except Exception:
            log.exception("mention in %s failed", event.channel.id)
            await platform.respond(
                event, error_post("Something went wrong on my side. Please try again in a minute.")
            )

    @property
    def help_text(self) -> str:
        """The core's commands, then each plugged-in group's own line."""
        groups = [str(c.help_line) for c in self.commands.values() if isinstance(c, CommandGroup)]
        return "\n".join([str(BRIEF_HELP), *groups, str(HELP_HELP), REPLY_HELP])

    # ------------------------------------------------------------- commands
    async def _help(self, platform: Platform, event: CommandEvent) -> None:
        await platform.respond(event, self._help_post())

    def _help_post(self) -> Post:
        return Post(kind="help", title="newsbrief — what you can type", text=self.help_text)

    async def _brief(self, platform: Platform, event: CommandEvent) -> None:
        topic, since = parse_brief_args(event.text, self.default_since)
        brief = await asyncio.to_thread(
            build_brief,
            self.store,
            topic,
            since=since,
            limit=self.brief_limit,
            workspace=workspace_of(event.channel),
        )
        post = brief.to_post()
        ref = await platform.post(event.channel, post)
        await remember(self.store, ref, post)

    # ------------------------------------------------------------- answers
    def answer_in_thread(self, ref: ThreadRef, question: str) -> Answer:
        """Answer from the thread's articles, with its last turns as context; remember the turn.

        Only the articles its workspace may still read: a source removed since the brief
        takes its articles out of the answers too.
        """
        found, turns = self.store.threads.recall(ref)
        ids = found.article_ids if found else ()
        articles = thread_articles(self.store, ids, workspace_of(ref))
        history = [Turn(q, Answer.from_record(a)) for q, a in turns][-3:]
        result = answer(question, articles, history)
        self.store.threads.add_turn(ref, question, result.to_record())
        return result


def thread_articles(store: Store, ids: Sequence[int], workspace: str) -> list[SourceArticle]:
    """The readable articles among ``ids``, with their analysis as ingest stored it (quotes
    are not extracted again). Each is read and parsed once: a row unchanged since (same id,
    update time and content hash, read alone: a narrow query) is kept parsed, so a warm
    question reads no article text or analysis JSON again."""
    versions = store.article_versions(ids, workspace)
    kept = {i: kept_article(v) for i, v in versions.items()}
    missing = [i for i in ids if i in versions and kept[i] is None]
    for a in store.articles(missing, workspace=workspace) if missing else ():
        parsed = SourceArticle.from_analysis(
            str(a.id), a.text or "", a.analysis, url=a.url, title=a.title
        )
        if a.updated_at == versions[a.id][1]:  # not edited between the two reads
            keep_article(versions[a.id], parsed)
        kept[a.id] = parsed
    return [k for i in ids if (k := kept.get(i)) is not None]


def workspace_of(ref: ChannelRef | ThreadRef) -> str:
    """The workspace whose sources (and the operator's) a brief, digest or answer there uses."""
    channel = ref.id if isinstance(ref, ChannelRef) else ref.channel_id
    return workspace_key(ref.platform, ref.workspace, channel)


async def remember(store: Store, ref: ThreadRef, post: Post) -> None:
    """Keep what a posted brief or digest covered, so follow-ups in its thread are answered."""
    if post.article_ids:
        await asyncio.to_thread(store.threads.save, ref, post.kind, post.title, post.article_ids)


def answer_post(result: Answer) -> Post:
    # Only links a person can open: an item with no link of its own has an identity of ours
    # (urn:newsbrief:item:…), which is not one.
    if result.confident:
        sources = dict.fromkeys(u for s in result.sentences if (u := link_url(s.url)))
        return Post(
            kind="answer",
            title="From the articles",
            text=result.text,
            footer="Source: " + ", ".join(sources) if sources else None,
        )
    links = "\n".join(
        f"• {title}: {url}" if (url := link_url(link)) else f"• {title}"
        for title, link in result.links
    )
    return Post(kind="answer", title="I don't know", text=f"{result.text}\n{links}".strip())
