"""Cleaning, sentence splitting and decoding: the ground everything else stands on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import BadInputError, NewsbriefError
from bot.news.decode import decode_body
from bot.nlp.text.article import article_sentences
from bot.nlp.text.clean import MAX_TEXT_CHARS, InputTooLargeError, clean, is_furniture
from bot.nlp.text.sentences import SumyTokenizer, check_language, split_spans, words

KOREA = (Path(__file__).parent / "fixtures" / "korea_summit.txt").read_text(encoding="utf-8")


def _split(text: str, language: str = "english") -> list[str]:
    return [text[a:b] for a, b in split_spans(text, language)]


@pytest.mark.parametrize(
    "sentences",
    [
        ["The U.S. president met Dr. Smith Jr. on Monday.", "Then he left."],
        ["J. R. R. Tolkien wrote it in 1937.", "It sold well."],
        ["“Remember when I walked across the line?” Trump asked with a grin.", "He smiled."],
        ["“Is it over?” she asked.", "Nobody answered."],
        ["He said ‘It is fine.’", "Then he left."],
        ["‘We will win,’ said Mr. Jones.", "The crowd cheered."],
        ["It cost 2.5 per cent of G.D.P. last year.", "Why?"],
        ["He was the first to do so.", "“Remember when I walked across?” Trump asked."],
        ["Nobody came.", "‘It is over,’ she said."],
        ["Mr. ‘Big’ Jones came.", "He left."],
    ],
)
def test_sentence_traps(sentences: list[str]) -> None:
    assert _split(" ".join(sentences)) == sentences


def test_split_spans_are_offsets_into_the_text() -> None:
    text = "  First one here.  Second one, Dr. Who said.\n"
    for a, b in split_spans(text):
        assert text[a:b].strip() == text[a:b]
        assert text[a:b]
    assert _split(text) == ["First one here.", "Second one, Dr. Who said."]


def test_other_languages_split_offline() -> None:
    assert _split("Das ist z.B. ein Satz. Und noch einer.", "german") == [
        "Das ist z.B. ein Satz.",
        "Und noch einer.",
    ]
    assert len(_split("C'est la vie. Il est parti à 8 h.", "french")) == 2


def test_unsupported_language_is_a_clear_error() -> None:
    with pytest.raises(NewsbriefError, match=r"not supported.*english"):
        check_language("klingon")
    assert check_language(" English ") == "english"


def test_words_keep_hyphenated_names_and_contractions() -> None:
    assert words("Kim Yo-jong didn’t go; U.S. talks") == [
        "Kim",
        "Yo-jong",
        "didn’t",
        "go",
        "U.S",
        "talks",
    ]
    tok = SumyTokenizer("english")
    assert tok.to_sentences("One. Two here.") == ("One.", "Two here.")
    assert tok.to_words("A b-c.") == ("A", "b-c")


def test_clean_korea_fixture_sets_aside_title_credit_and_most_popular() -> None:
    doc = clean(KOREA)
    assert doc.title == "Trump Teases Another Sit-Down With Kim Jong-un"
    removed = [KOREA[a:b] for a, b in doc.removed]
    assert "Alexander Khitrov / Shutterstock.com" in removed
    assert removed.count("Most Popular") == 2
    body = " ".join(KOREA[a:b] for a, b in doc.blocks)
    assert "Shutterstock" not in body
    assert "Most Popular" not in body
    assert body.startswith("Standing alongside South Korean President")


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Most Popular",
        "Read more: Why the summit failed",
        "Share this article",
        "Sign up for our morning newsletter",
        "Scroll down for video",
        "Photo: Jane Doe/Reuters",
        "Getty Images",
        "Jane Doe / AFP",
        "Image copyright Getty Images",
        "By Jane Doe",
        "PUBLISHED: 12:01 EST, 1 May 2014",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Trump said he would share the details with Congress.",
        "By the end of the day, the markets had recovered.",
        "Most popular among voters was the plan to cut taxes, polls showed.",
    ],
)
def test_article_lines_are_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_repeated_short_lines_are_furniture_and_long_repeats_kept_once() -> None:
    para = "The council voted on Tuesday to close the old bridge for repairs next spring."
    share = "Share on Facebook now"
    text = f"Headline Here\n\n{para}\n\n{share}\n\nOther news.\n\n{share}\n\n{para}\n"
    doc = clean(text)
    body = [text[a:b] for a, b in doc.blocks]
    assert body.count(para) == 1
    assert "Share on Facebook now" not in body


def test_sentences_keep_original_offsets_and_drop_inline_furniture() -> None:
    text = (
        "Title Line\n\nScroll down for video The mayor resigned on Friday. "
        "She cited health reasons.\n"
    )
    doc = clean(text)
    sents = article_sentences(doc)
    assert [s.text for s in sents] == ["The mayor resigned on Friday.", "She cited health reasons."]
    for s in sents:
        assert text[s.start : s.end] == s.text
    assert [s.index for s in sents] == [0, 1]


def test_hard_wrapped_lines_join_into_one_paragraph() -> None:
    text = (
        "The committee published its report on Monday after\n"
        "two years of hearings. It found no wrongdoing.\n"
    )
    sents = article_sentences(clean(text))
    assert (
        sents[0].text
        == "The committee published its report on Monday after\ntwo years of hearings."
    )


def test_too_large_text_is_refused_quickly() -> None:
    with pytest.raises(InputTooLargeError, match="limit"):
        clean("word " * (MAX_TEXT_CHARS // 5 + 10))


def test_decode_bytes() -> None:
    assert decode_body("café “quoted”".encode()) == "café “quoted”"
    assert decode_body(b"\xef\xbb\xbfBOM text") == "BOM text"
    latin = "Le café était fermé à Genève, déclaré hier.".encode("latin-1")
    assert "café" in decode_body(latin, "latin-1")
    assert "Gen" in decode_body(latin)
    with pytest.raises(BadInputError, match="binary"):
        decode_body(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_furniture_between_wrapped_lines_never_joins_a_block() -> None:
    text = (
        "The committee published its report on Monday after\n"
        "Advertisement\n"
        "two years of hearings. It found no wrongdoing.\n"
    )
    doc = clean(text)
    body = " ".join(text[a:b] for a, b in doc.blocks)
    assert "Advertisement" not in body
