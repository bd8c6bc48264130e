"""Posts as terminal text: the console shows the core's neutral text rendering.

The console is a terminal, so its format is the one ``bot.chat.render.post_text``
writes (cleaned of control characters, links http(s) only and redacted); Slack and
Discord have their own ``render.py`` for Block Kit and embeds.
"""

from __future__ import annotations

from bot.chat.messages import Post
from bot.chat.render import post_text


def render(post: Post, number: int | None = None) -> str:
    """``post`` as the console prints it, numbered when it opens a thread."""
    return post_text(post, number)
