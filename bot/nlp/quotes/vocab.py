"""The words quote attribution reads, drawn from ``bot.nlp.lexicon``.

Every list lives in a data file there; this module only names the parts quotes
uses, so the other modules read ``CUES`` rather than a file name and a tag.
"""

from __future__ import annotations

from bot.nlp.lexicon import alternation, words

CUES = words("speech_verbs", "quotes")
"""Verbs of saying that attribute a quote ("said", "told", "quipped")."""
WEAK_CUES = words("speech_verbs", "weak")
"""Cues that do not attribute when they follow the quote directly ("…,” called Trump)."""
CUE_OBJECTS = words("speech_objects")
"""Who is told or asked, read as part of the cue ("told reporters")."""

TITLES = words("titles", "quotes")
ROLE_BEFORE = words("titles", "role")
"""Lower-case role words that make the following capitalised words a person's name
("Rovers manager Elena Costa", "striker Kofi Mensah", "chief executive Laura Brandt")."""
FEMALE_TITLES = words("titles", "female")
MALE_TITLES = words("titles", "male")
TITLE_WORDS_PLUS = frozenset({"", "former", "the", "republican", "democratic"})
"""Words that may sit between a cue and a titled name ("said former Senator X")."""

FEMALE_NAMES = words("first_names", "female")
MALE_NAMES = words("first_names", "male")
DAYS = words("days")
MONTHS = words("months")
NONPERSON = words("not_names") | DAYS | MONTHS
"""Capitalised words that are not (all of) a person's name."""
PERSON_OK = frozenset(["will", "may"])
"""Words in NONPERSON that may still open a name (Will Smith, May)."""
ORG_WORDS = words("organisations", "quotes")
"""Words that make a capitalised sequence an organisation, team or place, not a person."""
PLACE_PREPS = words("function_words", "place_prep")
PLACE_OF = frozenset(w.capitalize() for w in words("places", "of"))
"""Title Case nouns before "of" that make the following name a place ("Port of X")."""
BREAK = words("function_words", "name_break")
"""Words that split a run of capitalised words into separate names."""
PARTICLES = alternation("name_particles", "inside")
"""Lower-case name particles between two parts of a name, as a regex ("de|da|…|von")."""
OPENING_PARTICLES = alternation("name_particles", "opens")
"""Particles that may open a name written without its first name ("said de Blasio")."""
JOINED_PARTICLES = alternation("name_particles", "joined")
"""Particles hyphenated onto a surname ("al-Assad")."""

PRONOUNS = frozenset(["he", "she", "they", "it", "i", "we", "you"])
PERSON_PRONOUNS = frozenset(["he", "she"])
ADVERBS = words("speech_adverbs")
"""Adverbs and auxiliaries between a subject and its cue ("Trump also said")."""
DETERMINERS = words("determiners")
ABBREVIATIONS = words("abbreviations") | words("month_abbreviations")
"""Words whose full stop does not end a sentence."""
SMALL_WORDS = words("function_words", "title_small")
"""Lower-case words inside a Title Case title ("Doomed to Succeed")."""
CONTINUATION = words("function_words", "continues")
"""After a closing mark, the sentence runs on: the marks held no speech."""
INTRO_WORDS = words("function_words", "intro")
"""Words that open a leading phrase before the subject ("At the shop, Tom said")."""
SUBORDINATORS = frozenset(["if", "because", "once", "unless", "until", "when", "while", "as"])
"""Conjunctions that open a clause before the main one ("When asked, he said")."""
NAMING_WORDS = ("titled", "entitled", "dubbed", "headlined")
"""Before a quoted phrase, these name a work: an ad titled “Scam.”"""
