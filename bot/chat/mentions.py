"""What naming the bot asks for, read the way people talk in a chat.

"@newsbrief korea" and "@newsbrief what's new on korea?" ask for a brief; "@newsbrief",
"hi" or "help me" for the help; "thanks!" or a 👍 for nothing at all. A question with
no topic to brief on ("@newsbrief what did Kim say?") belongs in a brief's thread.
The chat words here are few and general (greetings and thanks), not from any article.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from bot.nlp.answers import is_question

GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "yo", "ping"})
GREETING_TIMES = frozenset({"morning", "afternoon", "evening"})  # "good morning"
# Thanks, and the "ok" that acknowledges: talk that asks nothing.
THANKS = frozenset(
    {"thanks", "thank", "thankyou", "thx", "tnx", "ty", "cheers", "ta", "ok", "okay"}
)
_LEADS = GREETINGS | THANKS | {"so", "and", "please", "pls"}
SHORT_TALK = 5  # words: "thank you so much!" is talk; a longer line says more than thanks

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# "what's new on korea", "anything about the strike", "tell me about korea", "news on x"
_ASKS_FOR = re.compile(
    r"^(?:what(?:['’]s| is| are)?|any|anything|tell (?:me|us)|show (?:me|us)|give (?:me|us)|"
    r"brief (?:me|us)|news|latest|updates?)\b.*?\b(?:on|about|for|regarding)\s+(?P<topic>.+)$",
    re.IGNORECASE,
)

Wants = Literal["nothing", "help", "command", "elsewhere", "brief"]


@dataclass(frozen=True, slots=True)
class Mention:
    wants: Wants
    text: str = ""  # the brief's topic, or the command's name and arguments


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_thanks(text: str) -> bool:
    """A short word of thanks, or only emoji and marks ("👍"): nothing to answer."""
    said = words(text)
    if not said:
        return True
    return len(said) <= SHORT_TALK and bool(THANKS & set(said)) and not is_question(text)


def read_mention(text: str, commands: Collection[str]) -> Mention:
    """What "@newsbrief ``text``" asks for; ``commands``: the command names there are."""
    text = " ".join(w for w in text.split() if not w.startswith("@"))  # others named too
    said = words(text)
    if not text:
        return Mention("help")  # the bare name: how do I use this?
    if is_thanks(text):
        return Mention("nothing")
    good_time = len(said) > 1 and said[0] == "good" and said[1] in GREETING_TIMES
    greeting = said[0] in GREETINGS or good_time
    if said[0] == "help" or (greeting and len(said) <= 3):
        return Mention("help")
    while len(parts := text.split(" ", 1)) > 1 and set(words(parts[0])) <= _LEADS:
        text = parts[1]  # "ok, what's new on korea?": the "ok," leads to the request
    first, _, rest = text.partition(" ")
    name = first.lower().lstrip("/")
    if name == "brief":
        return Mention("brief", rest.strip())
    if name in commands:
        return Mention("command", f"{name} {rest}".strip())
    bare = text.rstrip("?!. ")
    if asked := _ASKS_FOR.match(bare):
        return Mention("brief", asked.group("topic"))
    if is_question(text):
        # "korea?" is a topic with a question mark; "what did Kim say?" is a follow-up.
        opener = is_question(bare)
        return Mention("elsewhere") if opener or len(said) > 3 else Mention("brief", bare)
    return Mention("brief", text)
