"""The regular expressions the evidence and people checks match sentences against."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.nlp.answers.vocab import (
    DAYS,
    MONTHS,
    ORGANISATIONS,
    PERSON_ROLES,
    PLACE_NOUNS,
    ROLES,
    SPEECH_VERBS,
)

PRONOUN_SUBJECT = re.compile(r"^(?:he|she|they|him|her|them|it)$", re.IGNORECASE)
FOLLOW_UP = re.compile(
    r"^\W*(?:and|also|what\s+about|how\s+about|then|so)\b"
    r"|\b(?:he|she|they|him|her|them|their|his|its|that|it|those|these)\b",
    re.IGNORECASE,
)

DATE = re.compile(
    rf"\b(?:{MONTHS})\b|\b(?:19|20)\d\d\b|\b(?:{DAYS}|yesterday|today|tomorrow|tonight)\b"
    r"|\b(?:last|next|this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b"
    r"|\b\d+\s+(?:days?|weeks?|months?|years?)\s+(?:ago|earlier|later)\b|\bat\s+the\s+time\b"
    r"|\b(?:within|in)\s+(?:(?:a|an|the|next|few|\d+|to|or|\w+teen|\w+ty)\s+){1,4}"
    r"(?:hours?|days?|weeks?|months?|years?|decades?)\b"
    r"|\b\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|\b(?:midnight|noon|midday)\b"
    r"|\b(?:morning|evening|afternoon|overnight)\b",
    re.IGNORECASE,
)
# What one of DATE's alternatives needs besides a digit, lower case: a month, or one of
# these ("day" is in "today" and every weekday, "night" in "tonight" and "overnight",
# "noon" in "afternoon"; "time" for "at the time"; the units "in a few hours" counts).
_DATE_WORDS = (
    *MONTHS.split("|"),
    *"day night noon tomorrow week month year time hour decade".split(),
    *"spring summer autumn fall winter morning evening".split(),
)


def dates(text: str) -> Iterator[re.Match[str]]:
    """``DATE.finditer(text)``, sooner: an ASCII sentence with no digit and none of the words
    DATE needs (``in``, on the lower-cased text) has no date; trying DATE's case-blind
    alternatives at every position was most of scoring the sentences of a "when" question.
    Other text, where a letter may fold to an ASCII one, by the pattern itself."""
    if text.isascii() and not _DIGIT.search(text):
        lower = text.lower()
        if not any(w in lower for w in _DATE_WORDS):
            return iter(())
    return DATE.finditer(text)


# "When was X last ..." is answered by "the first X since 2011" or "last ... in 2012".
LAST_TIME = re.compile(
    r"\bsince\s+(?:\w+\s+){0,2}(?:19|20)\d\d\b|\blast\s+(?:\w+\s+){0,2}in\s+(?:\w+\s+)?(?:19|20)\d\d",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|"
    "hundreds?|thousands?|millions?|billions?|half|third|quarter|fifth|percent|per\\s+cent"
)
NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b")  # of lower-case ASCII text


def has_number(text: str) -> bool:
    """``NUMBER.search(text)``, sooner: a digit is a number; ASCII text is matched lower-cased
    (the pattern's case-blind alternatives, tried at every word, were most of scoring every
    sentence of a digest for "how much did it cost?"). Other text, where a letter may fold
    to an ASCII one, by the pattern itself."""
    if _DIGIT.search(text):
        return True
    if text.isascii():
        return _NUMBER_WORD.search(text.lower()) is not None
    return NUMBER.search(text) is not None


NUMBER_TOKEN = re.compile(
    r"^(?:[$£€]?\d[\d,.]*\w*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half|third|quarter)$",
    re.IGNORECASE,
)
VAGUE_NUMBER = re.compile(r"^(?:dozens|hundreds|thousands|millions|billions)$", re.I)
MONEY = re.compile(
    r"[$£€]\s?\d|\b\d[\d,.]*\s*(?:million|billion|bn|m)?\s*(?:euros?|dollars?|pounds?|yen|yuan)\b",
    re.IGNORECASE,
)
MONEY_QUESTION = re.compile(
    r"\bhow\s+much\b.*\b(?:cost|costs|costing|money|pay|paid|spend|spent|worth|price|fund|"
    r"funding|save|saving|budget|earn|earns|raise|raised|lose|lost|get|give|giving|receive)\b"
    r"|\bhow\s+much\s+(?:is|was|are|were|will|would|does|did)\b",
    re.IGNORECASE,
)
_CURRENCY_WORD = re.compile(r"euro|dollar|pound|yen|yuan")


def has_money(text: str) -> bool:
    """``MONEY.search(text)``, sooner: every amount has a digit, and in ASCII text a dollar
    sign or a currency's name; only then is the pattern tried."""
    if not _DIGIT.search(text):
        return False
    if text.isascii() and "$" not in text and not _CURRENCY_WORD.search(text.lower()):
        return False
    return MONEY.search(text) is not None


PERCENT = re.compile(r"\d\s*(?:%|percent|per\s+cent)|\bby\s+(?:a\s+)?(?:half|third|quarter)", re.I)
STRONG_CAUSE = re.compile(
    r"\b(?:because|due\s+to|owing\s+to|as\s+a\s+result|caused|led\s+to|blam\w*|reason|"
    r"thanks\s+to|result(?:ed)?\s+(?:of|from)|so\s+that|in\s+order\s+to|after|following|"
    r"amid|when|since|refus\w*|over)\b",
    re.IGNORECASE,
)
SPEECH = re.compile(rf"\b(?:{SPEECH_VERBS})\b", re.IGNORECASE)
_NAME = r"[A-Z][\w’'-]*\.?(?:\s+[A-Z][\w’'-]*){0,3}"
NAME_THEN_VERB = re.compile(
    rf"(?P<name>{_NAME})(?:\s*,[^,.;“”\"]{{1,120}},|,)?\s+(?:\w+\s+)?(?:{SPEECH_VERBS})\b"
)
# Only after a quote or a comma ("…,” said Lim Wei"), or opening the sentence: after
# its subject, the name is whom the verb is about ("Trump mocked Kim", "police said Luna").
VERB_THEN_NAME = re.compile(rf"(?:^|(?<=[”\"’',?!]))\s*\b(?:{SPEECH_VERBS})\s+(?P<name>{_NAME})")
# A sentence whose speaker is a pronoun or a description: "The Castlegate manager said".
ANAPHORIC_SPEAKER = re.compile(
    r"^(?:[“\"‘'][^”\"’]*[”\"’],?\s*)?"
    r"(?P<np>he|she|they|(?:the|his|her|their)\s+[\w’'\- ]{1,40}?)"
    rf"\s+(?:(?:also|then|later|has|had|\w+ly)\s+)?(?:{SPEECH_VERBS})\b|[”\"’],?\s+(?P<np2>he|she)\s+(?:{SPEECH_VERBS})\b",
    re.IGNORECASE,
)
PLACE = re.compile(
    r"\b(?:in|at|near|outside|from|across|around|on|to|into|inside)\s+(?:the\s+)?"
    r"(?P<place>[A-Z][\w’'-]*(?:\s+[A-Z0-9][\w’'-]*)*"
    r"(?:(?:,\s*|\s+and\s+)[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)*)"
)
# A run of capitalised words, as the pattern \b[A-Z][\w’'&.-]*(?:\s+(?:of\s+|the\s+|and\s+)?
# [A-Z0-9][\w’'&.-]*)* matches it, written with the capital first and the word boundary as a
# lookbehind after it (a boundary before a capital: no word character before it). The same
# matches; but ``re`` skips to the next capital by the first character's class, while a
# pattern opening on \b is tried at every position of every sentence.
_CAP_WORD = r"[A-Z](?<!\w[A-Z])[\w’'&.-]*"
_CAP_MORE = r"\s+(?:of\s+|the\s+|and\s+)?[A-Z0-9][\w’'&.-]*"
CAPITALISED = re.compile(rf"{_CAP_WORD}(?:{_CAP_MORE})*")
# The runs of CAPITALISED that go on past their first word (what a full name needs): a
# run of one word is not matched, and no shorter run starts inside it (a capital inside a
# run has a word character before it, or starts a tail the whole run matches too).
CAPITALISED_RUN = re.compile(rf"{_CAP_WORD}(?:{_CAP_MORE})+")
QUOTE_MARK = re.compile(r"[“”\"]|(?:^|\s)[‘'](?=\w)")
PLACE_NOUN = re.compile(rf"\b(?:{PLACE_NOUNS})\b", re.IGNORECASE)
NOT_PLACE = re.compile(rf"^(?:{MONTHS}|{DAYS}|I|The|A)\b", re.IGNORECASE)
ORGANISATION = re.compile(rf"\b(?:{ORGANISATIONS})\b")
ROLE_WORD = re.compile(rf"\b(?:{ROLES})\b", re.IGNORECASE)
# "who is the mayor?", "who's their coach": a role the question wants the holder of.
WHO_HOLDS = re.compile(
    r"^\W*(?:and\s+)?who(?:['’]s|\s+is|\s+was)\s+(?P<role>(?:the|their|his|her|its)\s+"
    r"[\w’'-]+(?:\s+[\w’'-]+){0,2})\s*\??$",
    re.IGNORECASE,
)
# A possessive role ("the mayor's deputy"): someone else, whom the phrase relates them to.
ROLE_POSSESSOR = re.compile(rf"\b(?:{PERSON_ROLES})['’]s\b", re.IGNORECASE)
# What a number must look like to measure what was asked: "what share" wants a percentage.
MEASURE_EVIDENCE: dict[str, re.Pattern[str]] = {
    "percent": PERCENT,
    "score": re.compile(r"\b\d{1,2}\s?[-–]\s?\d{1,2}\b"),
    "duration": re.compile(
        r"\b(?:\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
        r"[\s-]+(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|generations?|"
        r"kilomet\w+|km|miles?|metres?|meters?)\b|\bsince\s+(?:19|20)\d\d\b",
        re.I,
    ),
    "age": re.compile(r",\s*\d{1,3},|\b\d{1,3}-year-old\b|\baged\s+\d", re.I),
    "frequency": re.compile(
        r"\bevery\b|\b(?:once|twice)\b|\bper\s+(?:day|week|month|year)\b|\ba\s+(?:day|week|"
        r"month|year)\b",
        re.I,
    ),
    "size": re.compile(
        r"\d[\d,.]*[\s-]*(?:metres?|meters?|m|km|kilomet\w+|miles?|feet|ft|tonnes?|kg|mph|"
        r"km/h|percent)\b",
        re.I,
    ),
}
