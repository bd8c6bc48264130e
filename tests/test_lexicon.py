"""The lexicon: word lists read from data files, the word pattern, the stemmers."""

from __future__ import annotations

from importlib import resources

import pytest

from bot.nlp import lexicon
from bot.nlp.lexicon import WORD, alternation, light_stem, word_list, word_pattern, words


def _lists() -> list[str]:
    files = resources.files("bot.nlp.lexicon").iterdir()
    return sorted(f.name[:-4] for f in files if f.name.endswith(".txt"))


def test_every_list_says_where_it_came_from() -> None:
    names = _lists()
    assert len(names) >= 15
    for name in names:
        text = resources.files("bot.nlp.lexicon").joinpath(f"{name}.txt").read_text("utf-8")
        header = [line for line in text.splitlines() if line.startswith("#")]
        assert any("Source:" in line for line in header), name
        assert words(name), name


def test_entries_are_read_with_their_tags() -> None:
    assert words("days") == {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    }  # fmt: skip
    assert word_list("months")[:3] == ("january", "february", "march")
    said = words("speech_verbs", "sentences")
    assert "said" in said and "laughed" in said
    assert "laughed" not in words("speech_verbs", "quotes")  # each reader keeps its own part
    assert "kim" in words("first_names", "female") and "kim" in words("first_names", "male")
    assert not any(w.startswith("#") for w in words("titles"))


def test_alternation_is_an_escaped_regex_in_file_order() -> None:
    assert alternation("days").split("|")[0] == "monday"
    assert alternation("abbreviations").count(r"u\.s") == 1


def test_unknown_list_or_tag_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="no word list 'colours'"):
        words("colours")
    with pytest.raises(LookupError, match="no entry tagged 'nope'"):
        words("titles", "nope")
    with pytest.raises(ValueError, match="not a word-list name"):
        words("../quotes")


def test_the_word_pattern() -> None:
    assert WORD.findall("The well-known O’Neill didn't go to the U.S. (again)") == [
        "The", "well-known", "O’Neill", "didn't", "go", "to", "the", "U.S", "again"
    ]  # fmt: skip
    assert word_pattern("'’").findall("well-known don’t") == ["well", "known", "don’t"]
    assert word_pattern("").findall("a_b c-d") == ["a", "b", "c", "d"]
    loose = word_pattern(".-", letters="A-Za-z", trailing=True)
    assert loose.findall("Jr. rock- Zoë") == ["Jr.", "rock-", "Zo"]


def test_stemmers() -> None:
    assert light_stem("elections") == "election"
    assert light_stem("parties") == "party"
    assert light_stem("sing") == "sing"  # too short to be a gerund
    assert lexicon.stemmer("english")("running") == "run"
    assert "the" in lexicon.stop_words("english")
