"""Follow-up answers: drawn from the thread's articles only, and "I don't know" when they can't."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.chat.conversation import Conversation
from bot.chat.messages import ThreadRef
from bot.nlp.analyze import analyze
from bot.nlp.answers import Answer, SourceArticle, Turn, answer, index_article, is_question
from bot.store import ArticleRecord, Store, analysis_payload
from tests.sample_news import SAMPLE_PATHS

FIXTURES = Path(__file__).parent / "fixtures"
KOREA = SourceArticle(
    id="korea",
    text=(FIXTURES / "korea_summit.txt").read_text(encoding="utf-8"),
    url="https://example.com/korea",
    title="Trump Teases Another Sit-Down With Kim Jong-un",
)


@pytest.mark.parametrize(
    ("question", "expected", "kind"),
    [
        ("what did Kim's sister say?", "no will to improve relations", "say"),
        ("when was North Korea's last nuclear test?", "since September 2017", "when"),
        ("why did the Hanoi summit end?", "demanded total sanctions relief", "why"),
    ],
)
def test_korea_questions(question: str, expected: str, kind: str) -> None:
    a = answer(question, [KOREA])
    assert a.confident
    assert a.kind == kind
    assert expected in a.text
    assert a.sentences and all(s.article_id == "korea" and s.url == KOREA.url for s in a.sentences)
    assert a.links == ()


def test_kims_sister_is_not_kim() -> None:
    a = answer("what did Kim's sister say?", [KOREA])
    assert a.subject == "Kim Yo-jong"
    assert "will to provoke war" not in a.text  # that was Kim himself


def test_whom_a_speech_verb_is_about_is_not_its_speaker() -> None:
    # "Trump mocked Kim as 'Little Rocket Man'" and "he praised Kim as a 'very smart
    # guy'" are Trump's words about Kim; what Kim said is his own rhetoric.
    a = answer("what did Kim say?", [KOREA])
    assert a.confident and "will to provoke war" in a.text
    assert "Rocket Man" not in a.text and "smart guy" not in a.text


def test_a_full_name_means_the_short_form_the_article_uses() -> None:
    # The article calls him "Kim"; "Kim Yo-jong" shares a word with the name asked
    # but is someone else (her "Yo" is not in it).
    for asked in ("what did Kim Jong-un say?", "what did kim jong-un say?"):  # as typed in chat
        a = answer(asked, [KOREA])
        assert a.subject == "Kim"
        assert "will to provoke war" in a.text and "no will to improve relations" not in a.text


def test_follow_up_leans_on_previous_turn() -> None:
    first = answer("what did trump say about kim?", [KOREA])
    assert first.confident and first.subject == "Trump"
    a = answer("and what did he say about the fake news?", [KOREA], [Turn("x", first)])
    assert a.confident
    assert "fake news media" in a.text
    assert a.subject == "Trump"
    # A history about someone else steers the pronoun to them.
    sister = answer("what did Kim's sister say?", [KOREA])
    b = answer("and what did she say about the constitution?", [KOREA], [Turn("x", sister)])
    assert "constitution could soon be rewritten" in b.text


def test_unanswerable_offers_links() -> None:
    a = answer("what did the prime minister of Japan say about the summit?", [KOREA])
    assert not a.confident
    assert a.text.startswith("I don't know")
    assert a.sentences == ()
    assert a.links == ((KOREA.title, KOREA.url),)


def test_unanswerable_topic_offers_links() -> None:
    a = answer("how many missiles did the navy buy last year?", [KOREA])
    assert not a.confident
    assert a.links == ((KOREA.title, KOREA.url),)


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question(question: str) -> None:
    a = answer(question, [KOREA])
    assert not a.confident and a.sentences == ()
    assert a.links == ((KOREA.title, KOREA.url),)


def test_no_articles() -> None:
    a = answer("what did trump say?", [])
    assert not a.confident and a.sentences == () and a.links == ()


def test_article_without_sentences() -> None:
    empty = SourceArticle(id="empty", text="", url="https://example.com/empty")
    a = answer("what happened?", [empty])
    assert not a.confident and a.sentences == ()
    assert a.links == (("https://example.com/empty", "https://example.com/empty"),)
    # An empty article next to a real one changes nothing.
    b = answer("why did the Hanoi summit end?", [empty, KOREA])
    assert b.confident and "demanded total sanctions relief" in b.text


def test_to_json_round_trip() -> None:
    a = answer("when was North Korea's last nuclear test?", [KOREA])
    data = a.to_json()
    assert data["confident"] is True
    assert json.loads(json.dumps(data))["answer"] == a.text


def _dev_rows() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in (FIXTURES / "qa_dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]


def _dev_metrics() -> tuple[float, float]:
    arts = {
        p.name: SourceArticle(id=p.stem, text=p.read_text(encoding="utf-8"), url=p.stem)
        for p in SAMPLE_PATHS
    }
    rows = _dev_rows()
    by_id = {r["id"]: r for r in rows}
    answers: dict[str, Answer] = {}
    correct = answerable = idk = idk_right = 0
    for r in rows:
        history: list[Turn] = []
        if r.get("previous"):
            prev = by_id[r["previous"]]
            history = [Turn(prev["question"], answers[prev["id"]])]
        a = answer(r["question"], [arts[r["article"]]], history)
        answers[r["id"]] = a
        if r["answerable"]:
            answerable += 1
            correct += a.confident and r["answer_contains"] in a.text
        if not a.confident:
            idk += 1
            idk_right += not r["answerable"]
    return correct / answerable, (idk_right / idk if idk else 0.0)


def test_dev_set_regression() -> None:
    """The whole dev set, one article per thread: a drop below the targets fails CI.

    These questions are about the eight bundled samples, whose names and invented
    companies used to sit in the word lists; with those entries gone and the answerer
    set on reader-written questions about real news (bench/answers_eval.py), the
    samples' "I don't know" precision fell from 91% to 80% while the held-out
    samples' rose from 33% to 43%: the floor is 75% now, accuracy's stays at 80%.
    """
    t0 = time.perf_counter()
    accuracy, idk_precision = _dev_metrics()
    assert accuracy >= 0.80, f"top-1 accuracy {accuracy:.1%}"
    assert idk_precision >= 0.75, f"I-don't-know precision {idk_precision:.1%}"
    assert time.perf_counter() - t0 < 10.0


# ------------------------------------------------------------ from the stored analysis


def _payload(text: str) -> dict[str, Any]:
    """What ingest stores with an article."""
    return analysis_payload(analyze(text))


def _stored(article: SourceArticle) -> SourceArticle:
    return SourceArticle.from_analysis(
        article.id, article.text, _payload(article.text), url=article.url, title=article.title
    )


def test_stored_analysis_gives_the_same_answers() -> None:
    """Every dev question, in a thread of all samples: the stored quotes change no answer."""
    plain = [
        SourceArticle(id=p.stem, text=p.read_text(encoding="utf-8"), url=p.stem, title=p.stem)
        for p in SAMPLE_PATHS
    ]
    stored = [_stored(a) for a in plain]
    assert all(a.quotes is not None and a.sentences is not None for a in stored)
    assert sum(len(a.quotes or ()) for a in stored) > 20
    # ingest stores every sentence, exactly as the answerer would split them
    assert all(
        list(a.sentences or ()) == index_article(p).sentences
        for a, p in zip(stored, plain, strict=True)
    )
    for r in _dev_rows():
        assert answer(r["question"], stored) == answer(r["question"], plain), r["id"]


def test_rows_stored_before_sentences_were_kept_are_split_again() -> None:
    payload = _payload(KOREA.text)
    del payload["sentences"]
    article = SourceArticle.from_analysis("korea", KOREA.text, payload, url=KOREA.url)
    assert article.quotes is not None and article.sentences is None
    assert answer("why did the Hanoi summit end?", [article]) == answer(
        "why did the Hanoi summit end?", [KOREA]
    )


def test_stored_quotes_are_read_not_extracted_again() -> None:
    payload = _payload(KOREA.text)
    for q in payload["all_quotes"]:
        if q["speaker"] == "Kim Yo-jong":
            q["speaker"] = "Ada Lovelace"
    article = SourceArticle.from_analysis("korea", KOREA.text, payload, url=KOREA.url)
    a = answer("what did Ada Lovelace say?", [article])
    assert a.confident and a.subject == "Ada Lovelace"
    assert "no will to improve relations" in a.text
    assert not answer("what did Ada Lovelace say?", [KOREA]).confident


def test_stored_sentences_are_read_not_split_again() -> None:
    sentences = tuple(index_article(KOREA).sentences)
    why = "why did the Hanoi summit end?"
    assert "sanctions relief" in answer(why, [KOREA]).text
    without = tuple(s for s in sentences if "sanctions relief" not in s.text)
    assert len(without) == len(sentences) - 1
    given = dataclasses.replace(KOREA, sentences=without, quotes=())
    assert "sanctions relief" not in answer(why, [given]).text
    # A payload that carries every sentence (English) is read too.
    payload = _payload(KOREA.text) | {
        "sentences": [dataclasses.asdict(s) for s in without],
    }
    article = SourceArticle.from_analysis("korea", KOREA.text, payload, url=KOREA.url)
    assert article.sentences == without


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.pop("all_quotes"), id="stored before every quote was kept"),
        pytest.param(lambda p: p.update(all_quotes="?"), id="not a list"),
        pytest.param(lambda p: p["all_quotes"][0].pop("span"), id="a quote without span"),
        pytest.param(
            lambda p: p["all_quotes"][0].update(span=[10**6, 10**6 + 5]), id="span past the text"
        ),
        pytest.param(lambda p: p["all_quotes"][0].update(span=[0, 5]), id="span not at the quote"),
    ],
)
def test_stored_analysis_that_does_not_fit_is_ignored(spoil: Any) -> None:
    payload = _payload(KOREA.text)
    spoil(payload)
    article = SourceArticle.from_analysis("korea", KOREA.text, payload, url=KOREA.url)
    assert article.quotes is None and article.sentences is None
    a = answer("what did Kim's sister say?", [article])
    assert a == answer("what did Kim's sister say?", [KOREA])
    assert a.confident


def test_stored_sentences_of_another_language_are_split_again() -> None:
    sentences = [dataclasses.asdict(s) for s in index_article(KOREA).sentences]
    for language, expect in (("english", True), ("german", False)):
        payload = _payload(KOREA.text) | {"sentences": sentences, "language": language}
        article = SourceArticle.from_analysis("korea", KOREA.text, payload)
        assert (article.sentences is not None) is expect
    assert SourceArticle.from_analysis("x", "text", None).quotes is None


def test_conversation_answers_from_the_stored_analysis(store: Store) -> None:
    """A thread's articles come with the analysis ingest stored: its quotes are the ones read."""
    payload = _payload(KOREA.text)
    for q in payload["all_quotes"]:
        if q["speaker"] == "Kim Yo-jong":
            q["speaker"] = "Ada Lovelace"  # only the stored analysis says so
    record = ArticleRecord(
        url="https://example.com/korea", title=KOREA.title, text=KOREA.text, analysis=payload
    )
    article_id = store.upsert_article(record).article_id
    ref = ThreadRef("console", "console", "1")
    store.threads.save(ref, "brief", "Korea", [article_id])
    a = Conversation(store).answer_in_thread(ref, "what did Ada Lovelace say?")
    assert a.confident and "no will to improve relations" in a.text
    assert a.sentences[0].article_id == str(article_id)


# ------------------------------------------------------------ ask --batch


def _batch(tmp_path: Path, lines: list[str]) -> tuple[int, list[dict[str, Any]]]:
    from bot.cli import main

    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    code = main(["ask", "--batch", str(questions)], out=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_ask_batch_threads_and_bad_lines(tmp_path: Path) -> None:
    """Questions of one thread are asked in order with their history; a bad line gets its
    error and the rest go on."""
    korea = str(FIXTURES / "korea_summit.txt")

    def line(id: str, question: str, thread: str | None = "t", files: Any = None) -> str:
        return json.dumps(
            {"id": id, "thread": thread, "question": question, "files": files or [korea]}
        )

    code, got = _batch(
        tmp_path,
        [
            line("a", "what did Kim's sister say?"),
            "not json",
            line("b", "and what did she say about the constitution?"),
            line("c", "who?", files=[str(tmp_path / "missing.txt")]),
            line("d", "and what did she say about the constitution?", thread="other"),
            json.dumps({"id": "e", "question": 3, "files": [korea]}),
            line("f", "who is the president of France?", thread=None),
        ],
    )
    assert code == 1  # some lines failed
    by_id = {r["id"]: r for r in got}
    assert [r["id"] for r in got] == ["a", 2, "b", "c", "d", "e", "f"]
    assert by_id["a"]["confident"] and "no will to improve relations" in by_id["a"]["answer"]
    assert by_id["a"]["sources"] == [korea]
    # "she" in thread t is Kim's sister, from the turn before
    assert by_id["b"]["confident"] and "constitution" in by_id["b"]["answer"]
    assert "not JSON" in by_id[2]["error"]
    assert "no such file" in by_id["c"]["error"]
    assert '"question"' in by_id["e"]["error"]
    # off-topic: refused, with the article offered instead
    assert by_id["f"]["confident"] is False and by_id["f"]["answer"].startswith("I don't know")
    assert by_id["f"]["sources"] == [korea]
    assert set(by_id["a"]) == {"id", "answer", "confident", "sources"}


def test_ask_batch_wants_no_question_and_ask_wants_one(tmp_path: Path) -> None:
    from bot.cli import main

    questions = tmp_path / "q.jsonl"
    questions.write_text("", encoding="utf-8")
    assert main(["ask", "why?", "--batch", str(questions)], out=io.StringIO()) == 2
    assert main(["ask", "--file", str(FIXTURES / "korea_summit.txt")], out=io.StringIO()) == 2
    out = io.StringIO()
    assert main(["ask", "--batch", str(questions)], out=out) == 0 and out.getvalue() == ""


# ------------------------------------------------------------ answers that generalise
# Invented articles, written for these tests: no sample's names or words are on a list.

HARBOUR = SourceArticle(
    id="harbour",
    text=(
        "A fisherman was stabbed outside a bar in Portwick on Friday night.\n\n"
        "Police said Marcus Webb, 31, attacked the fisherman after an argument.\n\n"
        "The fisherman, Tom Ellery, was taken to St Anne's Hospital, where he is stable.\n\n"
        "Webb was arrested at the scene and charged with wounding on Saturday.\n\n"
        "Ellery's sister, Joanna Ellery, said the family was shocked."
    ),
    url="https://example.com/harbour",
    title="Fisherman stabbed outside Portwick bar",
)


def _invented(key: str, *paragraphs: str) -> SourceArticle:
    """An article written for a test, one paragraph per argument."""
    return SourceArticle(
        id=key, text="\n\n".join(paragraphs), url=f"https://example.com/{key}", title=key
    )


def test_what_someone_said_is_unknown_when_only_others_speak_of_them() -> None:
    # "Police said Marcus Webb attacked the fisherman": the police speak, about Webb.
    for question in (
        "what did Marcus Webb say?",
        "what did Webb say?",
        "what did marcus webb say?",
    ):
        assert not answer(question, [HARBOUR]).confident
    sister = answer("what did Joanna Ellery say?", [HARBOUR])
    assert sister.confident and "shocked" in sister.text
    # A body whose spokesman speaks is no person named and silent: its words are found.
    vote = _invented(
        "vote",
        "Councillors in Portwick voted on Tuesday to build 400 new homes by 2030.",
        "A Labour spokesman said the plan would cut waiting lists by half.",
    )
    labour = answer("what did Labour say?", [vote])
    assert labour.confident and "waiting lists" in labour.text


def test_the_mayors_deputy_is_not_the_mayor() -> None:
    council = _invented(
        "council",
        "Lowfield council approved a new library on Tuesday, Mayor Ines Dahl announced.",
        "The mayor's deputy, Tomasz Wren, who chaired the debate, rejected calls for a delay.",
        "“This library will be open to everyone by next spring,” Dahl said.",
        "“We costed every part of it,” Wren said.",
    )
    said = answer("what did the mayor say?", [council])
    assert said.confident and said.subject == "Ines Dahl" and "next spring" in said.text
    who = answer("who is the mayor?", [council])
    assert who.confident and "Ines Dahl" in who.sentences[0].text and "Wren" not in who.text
    deputy = answer("what did the deputy say?", [council])
    assert deputy.confident and "costed every part" in deputy.text


def test_a_speaker_named_after_the_verb_is_the_speaker() -> None:
    article = _invented(
        "port",
        "The port of Dunmore will reopen on Monday after a week of repairs, said Lim Wei, a "
        "spokesman for the harbour board.",
        "Cranes were damaged in the storm on Tuesday, and two ships were turned away.",
    )
    a = answer("what did Lim Wei say?", [article])
    assert a.confident and "reopen on Monday" in a.text


@pytest.mark.parametrize(
    ("line", "asks"),
    [
        ("who scored the winner", True),
        ("and Alonso?", True),
        ("did she win", True),
        ("whats the cost", True),  # a dropped apostrophe
        ("really?!", True),
        ("tell me more about the vaccine", True),
        ("thanks!", False),
        ("@sam have a look at this one", False),
        ("The cost is huge", False),
        ("lol", False),
    ],
)
def test_a_line_in_a_thread_asks_something_or_not(line: str, asks: bool) -> None:
    assert is_question(line) is asks


def test_who_wants_a_name_the_question_does_not_give() -> None:
    a = answer("who attacked the fisherman?", [HARBOUR])
    assert a.confident and "Marcus Webb" in a.text


def test_an_off_topic_question_is_refused_with_the_links() -> None:
    for article, question in ((KOREA, "who is the president of France?"),
                              (HARBOUR, "what did Angela Merkel say?")):  # fmt: skip
        a = answer(question, [article])
        assert not a.confident and a.sentences == ()
        assert a.links == ((article.title, article.url),)


def test_when_and_where_want_a_date_and_a_place() -> None:
    a = answer("when was he charged?", [HARBOUR])
    assert a.confident and "Saturday" in a.text
    b = answer("which hospital was the fisherman taken to?", [HARBOUR])
    assert b.confident and "St Anne's Hospital" in b.text


def test_a_follow_up_pronoun_is_the_person_the_previous_answer_named() -> None:
    first = answer("who attacked the fisherman?", [HARBOUR])
    a = answer("how old is he?", [HARBOUR], [Turn("who attacked the fisherman?", first)])
    assert a.confident and "31" in a.text


def test_gender_comes_from_the_name_list() -> None:
    from bot.nlp.answers.referents import gender_of, pronoun_gender

    assert gender_of("Joanna Ellery") == "female" and gender_of("Marcus Webb") == "male"
    assert gender_of("Zqxw Ellery") is None
    assert pronoun_gender("how old is she?") == "female" and pronoun_gender("what now?") is None


def test_synonyms_and_paraphrases_bridge_the_askers_words() -> None:
    from bot.nlp.answers.terms import term, variants

    found = dict(variants(term("capture")))
    assert found[term("arrest")] > 0  # a paraphrase issue 11 names
    assert term("movie") in dict(variants(term("film")))  # WordNet 3.0
    a = answer("when was Webb captured?", [HARBOUR])
    assert a.confident and "arrested at the scene" in a.text


def test_two_sentences_giving_different_answers_equally_well_is_no_answer() -> None:
    split = SourceArticle(
        id="split",
        text=(
            "The committee met on Monday to discuss the bridge.\n\n"
            "Anna Kowalski said the bridge would reopen in May.\n\n"
            "Repairs have cost the council more than expected.\n\n"
            "Peter Novak said the bridge would reopen in June."
        ),
    )
    assert not answer("who said the bridge would reopen?", [split]).confident
    # the same answer twice is no rival
    same = dataclasses.replace(split, text=split.text.replace("Peter Novak", "Anna Kowalski"))
    assert answer("who said the bridge would reopen?", [same]).confident


def test_gold_strings_compare_after_normalising_number_forms() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "answers_eval", Path(__file__).resolve().parents[1] / "bench" / "answers_eval.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    assert bench.contains_all("a loan of £446 million", ["£446million"])
    assert bench.contains_all("Chancey Luna, seventeen, was charged", ["17"])
    assert bench.contains_all("It’s  “the first”", ['it\'s "the 1st"'])
    assert bench.contains_all("1,200 jobs and 5 per cent", ["1200 jobs", "5%"])
    assert not bench.contains_all("seventy", ["17"])


_PICKET = _invented(
    "picket",
    "Union leader Ana Ruiz addressed the crowd at the depot gate on Monday.",
    "“We will not back down until the offer is fair,” Ruiz said.",
    "Tom Hale, the company's operations manager, said the offer was the best in the sector.",
    "“We cannot pay more than this,” Hale said. “The contracts will not allow it.”",
    "“Every depot in the region has accepted it,” Hale told reporters.",
    "Paul Kent, a driver for twenty years, stood on the picket line. “I will stay,” Kent said.",
)


@pytest.mark.parametrize(
    ("history", "question", "said"),
    [
        # The person the question before named is whom "she" means, not the most quoted.
        (["who is Ana Ruiz?"], "what did she say?", "We will not back down"),
        # With no turn before, "she" is the one quoted woman; "he", a man.
        ([], "what did she say?", "We will not back down"),
        (["what did Ana Ruiz say?"], "what did he say?", "We cannot pay more"),
        (["what did Ana Ruiz say?", "what did Paul Kent say?"], "what did she say?", "back down"),
    ],
)
def test_he_and_she_are_people_the_pronoun_can_mean(
    history: list[str], question: str, said: str
) -> None:
    turns = [Turn(q, answer(q, [_PICKET], [])) for q in history]
    result = answer(question, [_PICKET], turns)
    assert result.confident and said in result.text, result.text


def test_an_answer_never_cuts_a_quotation() -> None:
    strike = _invented(
        "strike",
        "Dock workers walked out at the port of Halden on Monday.",
        "“The offer is a cut in real terms,” said Ana Ruiz, the union's leader. “We did not "
        "want this strike. The employers made it unavoidable.”",
        "The port authority said talks would resume on Friday.",
    )
    for question in ("what did Ana Ruiz say?", "what did the union leader say?"):
        result = answer(question, [strike])
        assert result.confident and "did not want this strike" in result.text, result.text
        assert result.text.count("“") == result.text.count("”"), result.text
        assert result.text.endswith("made it unavoidable.”")
