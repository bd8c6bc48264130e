"""Discord interactions and messages → the core's neutral events.

Only this module (and the transport) reads discord.py objects; the core sees
``CommandEvent``, ``ThreadReplyEvent`` and ``MentionEvent``. Channel managers are decided here,
from the permissions Discord computed for the member in that very channel and
sent with the interaction (overwrites included), not from a cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from adapters.discord.permissions import BOT_PERMISSIONS
from bot.chat.messages import ChannelRef, CommandEvent, MentionEvent, ThreadRef, User

PLATFORM = "discord"
MANAGERS = "a member with Manage Server, or Manage Channels in this channel"

# What the bot itself needs in a channel to post a brief or digest and its thread.
NEEDED_TO_POST: dict[str, str] = {attr: name for attr, name, _ in BOT_PERMISSIONS}

HINT = (
    "I can't read plain messages here. Ask with `/ask question:` in this thread, "
    "or mention me (@newsbrief what did she say?)."
)


def is_manager(permissions: discord.Permissions) -> bool:
    """Manage Server, or Manage Channels in this channel (Administrator implies both)."""
    return bool(permissions.manage_guild or permissions.manage_channels)


def user_of(member: discord.User | discord.Member, permissions: discord.Permissions) -> User:
    return User(
        id=str(member.id),
        name=member.display_name,
        is_manager=is_manager(permissions),
        managers=MANAGERS,
    )


def guild_of(interaction: discord.Interaction[discord.Client]) -> str | None:
    """The guild is the workspace: its feeds are its own."""
    return str(interaction.guild_id) if interaction.guild_id else None


def channel_of(interaction: discord.Interaction[discord.Client]) -> ChannelRef:
    name = getattr(interaction.channel, "name", None)
    return ChannelRef(PLATFORM, str(interaction.channel_id), name, workspace=guild_of(interaction))


def command_event(
    interaction: discord.Interaction[discord.Client], command: str, text: str
) -> CommandEvent:
    """``/digest list`` arrives as command "digest", text "list": the console's forms."""
    return CommandEvent(
        channel=channel_of(interaction),
        user=user_of(interaction.user, interaction.permissions),
        command=command,
        text=" ".join(text.split()),
    )


def missing_to_post(app_permissions: discord.Permissions) -> list[str]:
    """The permissions the bot lacks in the channel of an interaction, by their UI names."""
    return [label for attr, label in NEEDED_TO_POST.items() if not getattr(app_permissions, attr)]


def grant_text(missing: list[str], where: str = "this channel") -> str:
    """Plain text, as every ``Post`` text is (the renderer escapes markdown)."""
    names = ", ".join(missing)
    return (
        f"I can't post in {where}: I need {names} there. A server manager can grant "
        "them under the channel's settings → Permissions → newsbrief (or my role)."
    )


# ------------------------------------------------------------------ digests
def subscribe_text(
    topics: str,
    at: str,
    zone: str | None = None,
    days: str | None = None,
    most: int | None = None,
    always: bool | None = None,
) -> str:
    """The options of ``/digest subscribe`` as the console's one-line form."""
    words = [topics.strip(), "at", at.strip()]
    if zone:
        words.append(zone.strip())
    if days:
        words.append(days.strip())
    if most:
        words += ["max", str(most)]
    if always:
        words.append("always")
    return " ".join(w for w in words if w)


# ------------------------------------------------------------------ messages
@dataclass(frozen=True, slots=True)
class Incoming:
    """A person's message that may be a follow-up: where it points and what it says."""

    thread: ThreadRef
    user: User
    text: str  # empty: Discord withheld the content (no Message Content intent)
    addressed: bool = False  # it mentions the bot


_MENTION = re.compile(r"<@!?(\d+)>")
_MARKUP = re.compile(r"<(?:@!?|@&|#)\d+>|<a?:\w+:\d+>")


def question_text(content: str, bot_id: int) -> str:
    """The content without mentions (of the bot, people, roles, channels) or custom emoji:
    "<@1> what did she say?" → "what did she say?". None of them is a question's word."""
    return " ".join(_MARKUP.sub("", content).split())


def should_ignore(message: discord.Message, bot_id: int) -> bool:
    """Our own messages, other bots, webhooks and system messages are never follow-ups."""
    if message.author.id == bot_id or message.author.bot or message.webhook_id is not None:
        return True
    return message.type not in (discord.MessageType.default, discord.MessageType.reply)


def incoming(message: discord.Message, bot_id: int, parent_id: int | None) -> Incoming | None:
    """The follow-up a message may be, or None when it points at no thread.

    In a thread (``parent_id`` known): that thread. In a channel: a Discord reply to
    a message, whose id is also the id of the thread started from it.
    """
    user = User(id=str(message.author.id), name=message.author.display_name)
    text = question_text(message.content, bot_id)
    guild = str(message.guild.id) if message.guild else None
    mentioned = bot_id in message.raw_mentions
    if parent_id is not None:
        ref = ThreadRef(PLATFORM, str(parent_id), str(message.channel.id), workspace=guild)
        return Incoming(ref, user, text, addressed=mentioned)
    reference = message.reference
    if reference is not None and reference.message_id is not None:
        # A reply to a message: the thread is ours only if the message is the bot's post,
        # and like a line in a thread it is said to the bot only with a mention.
        ref = ThreadRef(PLATFORM, str(message.channel.id), str(reference.message_id), guild)
        return Incoming(ref, user, text, addressed=mentioned)
    return None


def mention(message: discord.Message, bot_id: int) -> MentionEvent | None:
    """A message in a server's channel (not a thread, not a reply) that opens with a
    mention of the bot: "@newsbrief korea", not "ask @newsbrief, it knows".

    Discord sends its content also without the Message Content intent.
    """
    first = _MENTION.match(message.content.lstrip())
    if message.guild is None or first is None or int(first.group(1)) != bot_id:
        return None
    channel = ChannelRef(PLATFORM, str(message.channel.id), workspace=str(message.guild.id))
    user = User(id=str(message.author.id), name=message.author.display_name)
    return MentionEvent(channel, user, question_text(message.content, bot_id))
