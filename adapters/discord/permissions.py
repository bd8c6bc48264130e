"""The permissions and intents the Discord bot needs, each with the reason: one list.

The invite URL (``newsbrief discord invite``), the check before posting and the
"grant me …" explanations all read ``BOT_PERMISSIONS``, so they cannot drift.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import discord

# (discord.py attribute, name in Discord's settings, why newsbrief needs it)
BOT_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("view_channel", "View Channels", "see the channels it posts in and the threads it answers in"),
    ("send_messages", "Send Messages", "post briefs and digests in a channel"),
    ("embed_links", "Embed Links", "show each story as an embed (title link, summary, quote)"),
    (
        "read_message_history",
        "Read Message History",
        "after a crash, find a digest it already posted, so it is never posted twice",
    ),
    ("create_public_threads", "Create Public Threads", "start the thread under a brief or digest"),
    (
        "send_messages_in_threads",
        "Send Messages in Threads",
        "answer follow-up questions, and continue a long digest, in its thread",
    ),
)

# (intent, privileged, why)
INTENTS: tuple[tuple[str, bool, str], ...] = (
    ("Guilds", False, "the server's channels and threads, so it knows which thread is whose"),
    ("Guild Messages", False, "messages in its threads and replies to its posts (follow-ups)"),
    (
        "Message Content",
        True,
        "optional: read plain questions typed in its threads. Without it, ask with /ask, "
        "mention the bot, or reply to its message. Turn it on in the developer portal "
        "(Bot → Privileged Gateway Intents) and set NEWSBRIEF_DISCORD_MESSAGE_CONTENT=1",
    ),
)


def permissions() -> discord.Permissions:
    return discord.Permissions(**{attr: True for attr, _, _ in BOT_PERMISSIONS})


def client_id_from_token(token: str) -> str | None:
    """A bot token starts with its user id in base64, which is the application's id."""
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded.isdecimal() else None


def invite_url(client_id: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "scope": "bot applications.commands",
            "permissions": str(permissions().value),
            "integration_type": "0",
        }
    )
    return f"https://discord.com/oauth2/authorize?{query}"


def invite_text(client_id: str) -> str:
    value = permissions().value
    lines = [
        "Open this link to add newsbrief to a server you manage:",
        "",
        f"  {invite_url(client_id)}",
        "",
        "Scopes: bot (the bot user that posts) and applications.commands (its slash commands).",
        f"Permissions integer: {value}, the sum of:",
    ]
    for attr, name, why in BOT_PERMISSIONS:
        bit = discord.Permissions(**{attr: True}).value
        lines.append(f"  {bit:>14}  {name}: {why}")
    lines += ["", "Gateway intents:"]
    for name, privileged, why in INTENTS:
        kind = "privileged" if privileged else "not privileged"
        lines.append(f"  {name} ({kind}): {why}")
    lines += [
        "",
        "Not asked for: Mention Everyone (no post ever pings), Manage Messages, Manage Threads,",
        "Administrator. Who may change digests and feeds is read from each person's own",
        "permissions in the channel: Manage Server, or Manage Channels there.",
    ]
    return "\n".join(lines)
