"""Unit tests for bot.nlp.quotes: quote finding, speakers, partials and ranking."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.models import Quote
from bot.nlp.quotes import extract_quotes, key_quotes

FIXTURE = Path(__file__).parent / "fixtures" / "korea_summit.txt"


def only(text: str) -> Quote:
    quotes = extract_quotes(text)
    assert len(quotes) == 1, quotes
    return quotes[0]


def spk(text: str, q: Quote) -> str | None:
    return text[q.speaker_span[0] : q.speaker_span[1]] if q.speaker_span else None


def check_offsets(text: str, q: Quote) -> None:
    assert text[q.span[0] : q.span[1]] == q.text


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("text", "speaker", "cue", "name"),
    [
        ('"We will win," Trump said.', "Trump", "said", "Trump"),
        ('"We will win," said Trump.', "Trump", "said", "Trump"),
        ("“We will win,” Trump told reporters.", "Trump", "told reporters", "Trump"),
        ("“We will win,” Trump joked.", "Trump", "joked", "Trump"),
        ("“We will win,” Trump added.", "Trump", "added", "Trump"),
        ("“Remember the line?” Trump asked with a grin.", "Trump", "asked", "Trump"),
        ("“It is over,” Jane Smith, the chair of the panel, said.", "Jane Smith", "said", None),
        ("According to Jane Smith, “The plan is dead.”", "Jane Smith", "According to", None),
        ("Trump said: “We will win big.”", "Trump", "said", "Trump"),
        ("Trump tweeted, “We will win big.”", "Trump", "tweeted", "Trump"),
        ('"We are ready for this," said Sen. Lindsey Graham.', "Lindsey Graham", "said", None),
    ],
)
def test_speaker_patterns(text: str, speaker: str, cue: str, name: str | None) -> None:
    q = only(text)
    check_offsets(text, q)
    assert q.speaker == speaker
    assert q.cue == cue
    assert not q.partial
    assert spk(text, q) == (name or speaker)


def test_many_speech_verbs() -> None:
    for verb in ("explained", "insisted", "wrote", "claimed", "noted", "argued", "warned"):
        text = f"“The budget is balanced,” Ann Lee {verb}."
        q = only(text)
        assert q.cue == verb
        assert q.speaker == "Ann Lee"


def test_quote_marks_excluded_and_trailing_comma_trimmed() -> None:
    text = "“I look forward to seeing him,” Trump said."
    q = only(text)
    assert q.text == "I look forward to seeing him"
    check_offsets(text, q)


# --------------------------------------------------------------------------- names


def test_fullest_name_and_titles() -> None:
    text = (
        "Donald Trump arrived in Seoul on Monday. Later, Mr. Trump met officials.\n\n"
        '"It was a great meeting," Mr. Trump said.'
    )
    q = only(text)
    assert q.speaker == "Donald Trump"
    assert spk(text, q) == "Trump"


def test_pronoun_resolves_to_previous_person() -> None:
    text = "Barack Obama took the stage in Chicago. “We have work to do,” he said."
    q = only(text)
    assert spk(text, q) == "he"
    assert q.speaker == "Barack Obama"


def test_pronoun_respects_gender_cue() -> None:
    text = "Ms. Nancy Pelosi spoke first. Mr. John Boehner followed her. “I disagree,” she said."
    q = only(text)
    assert q.speaker == "Nancy Pelosi"
    assert spk(text, q) == "she"


def test_adjacent_sentence_colon_attribution() -> None:
    text = "Senator Elizabeth Warren arrived late. She said: “This is a disgrace.”"
    q = only(text)
    assert spk(text, q) == "She"
    assert q.speaker == "Elizabeth Warren"


def test_appositive_names_the_speaker() -> None:
    text = (
        "Kim’s sister, Kim Yo-jong, mocked the plan, insisting that the North has "
        "“no will to improve relations” with Seoul."
    )
    q = only(text)
    assert q.partial
    assert q.speaker == "Kim Yo-jong"
    assert spk(text, q) == "Kim Yo-jong"


@pytest.mark.parametrize(
    ("text", "speaker", "span"),
    [
        # A surname with its particle, with and without the first name before it.
        (
            "Mayor Bill de Blasio toured the subway. “We will fix it,” de Blasio said.",
            "Bill de Blasio",
            "de Blasio",
        ),
        ("“We will fix the trains,” said de Blasio.", "de Blasio", "de Blasio"),
        ("“We will fix the trains,” Mayor de Blasio said.", "de Blasio", "de Blasio"),
        ("“We will not wait,” said Ursula von der Leyen.", "Ursula von der Leyen", None),
        ("“The war is over,” said Luiz Inácio Lula da Silva.", "Luiz Inácio Lula da Silva", None),
        ("“It is settled,” said Mohammed bin Salman.", "Mohammed bin Salman", None),
        (
            "Bashar al-Assad spoke in Damascus. “We have won,” al-Assad said.",
            "Bashar al-Assad",
            "al-Assad",
        ),
        ("“Art is long,” van Gogh wrote.", "van Gogh", "van Gogh"),
    ],
)
def test_name_particles_keep_the_name_whole(text: str, speaker: str, span: str | None) -> None:
    q = only(text)
    assert q.speaker == speaker
    assert spk(text, q) == (span or speaker)


def test_particles_that_are_english_words_open_no_name() -> None:
    text = "“We need change now,” ten Republicans said in a letter."
    q = only(text)
    assert q.speaker is None


CLINTONS = (
    "Bill Clinton campaigned in Ohio. Bill Clinton spoke twice. Bill Clinton left at noon.\n\n"
    "Hillary Clinton arrived in Iowa on Monday.\n\n"
)


def test_bare_surname_is_the_person_named_most_recently() -> None:
    text = CLINTONS + "“We will win this state,” Clinton said."
    assert only(text).speaker == "Hillary Clinton"  # not the most frequent, Bill
    text = (
        "Hillary Clinton spoke in Iowa. Hillary Clinton met voters. Hillary Clinton left.\n\n"
        "Bill Clinton took the stage in Ohio.\n\n“I am proud of my wife,” Clinton said."
    )
    assert only(text).speaker == "Bill Clinton"


def test_a_titles_gender_rules_out_the_other_clinton() -> None:
    assert only(CLINTONS + "“I am proud of her,” Mr. Clinton said.").speaker == "Bill Clinton"
    assert only(CLINTONS + "“We will win,” Mrs. Clinton said.").speaker == "Hillary Clinton"


def test_bare_surname_before_any_full_name_takes_the_next_one() -> None:
    text = (
        "“It is time,” Clinton said.\n\nHillary Clinton then left for Iowa, and later "
        "Bill Clinton joined her there."
    )
    assert extract_quotes(text)[0].speaker == "Hillary Clinton"


def test_variants_of_one_name_are_one_person() -> None:
    text = (
        "Donald J. Trump spoke. Donald Trump waved. Donald Trump left.\n\n"
        "Ivanka Trump spoke later.\n\n“We will build it,” Mr. Trump said."
    )
    assert only(text).speaker == "Donald Trump"  # Ivanka is ruled out by "Mr."


def test_a_name_stops_at_the_end_of_its_sentence() -> None:
    text = (
        "The spokesman Carlo Benedetti said the pope would not meet Sanders. "
        "Benedetti said: “I am not expecting anything.”"
    )
    q = only(text)
    assert spk(text, q) == "Benedetti"
    assert q.speaker == "Carlo Benedetti"


def test_speaker_described_after_the_cue() -> None:
    text = "“I will not say it was a mistake,” said retired neurosurgeon Ben Carson."
    q = only(text)
    assert q.speaker == "Ben Carson"
    text = "“This is just a scripted show,” said Virginia delegate Beau Correll."
    assert only(text).speaker == "Beau Correll"


def test_subject_after_a_leading_phrase() -> None:
    text = (
        "Appearing before cheering supporters on Monday, Maria Lopez, 70, said it was too "
        "early to celebrate but added, “I think you all know the result.”"
    )
    q = only(text)
    assert spk(text, q) == "Maria Lopez"
    text = (
        "When Tom Reyes, the campaign manager, was asked if the team would hold a press "
        "conference, he laughed and said, “We will see about that.”"
    )
    assert spk(text, only(text)) == "he"


def test_a_cue_after_an_article_is_a_noun() -> None:
    text = "Anna Berg claimed victory in a tweet, saying: “We just won the state!”"
    q = only(text)
    assert spk(text, q) == "Anna Berg"


def test_quote_closing_its_sentence_is_a_statement() -> None:
    text = "Alice Park took credit for “being right on the economy from the very start.”"
    q = only(text)
    assert not q.partial
    assert q.speaker == "Alice Park"
    text = "Later, Alice Park added, “actually, nobody expected the vote to be this close.”"
    assert not only(text).partial
    # A word or two quoted in passing stays a fragment.
    assert only("Alice Park called the system “rigged” on Tuesday.").partial


def test_later_quote_in_the_paragraph_keeps_the_speaker() -> None:
    text = (
        "“I don’t think it is do or die,” Lee Zeldin said outside the building. "
        "But “an endorsement would make the campaign stronger.”"
    )
    quotes = extract_quotes(text)
    assert [q.speaker for q in quotes] == ["Lee Zeldin", "Lee Zeldin"]


def test_key_quotes_prefer_a_whole_statement_to_one_run_into_a_clause() -> None:
    text = (
        "Alice Park took credit for “being right on the economy from the very start.”\n\n"
        "“We were right about the economy and we said so early,” Alice Park said."
    )
    best = key_quotes(extract_quotes(text), n=1)[0]
    assert best.text.startswith("We were right")


# --------------------------------------------------------------------------- structure


def test_interrupted_quote_is_one_quote() -> None:
    text = "“I look forward to seeing him,” Trump said. “He was very good with me.”"
    q = only(text)
    assert q.speaker == "Trump"
    assert q.text.startswith("I look forward to seeing him")
    assert q.text.endswith("He was very good with me.")
    assert text[q.span[0] : q.span[1]].startswith("I look forward")
    assert text[q.span[0] : q.span[1]].endswith("with me.")


def test_two_speakers_are_not_merged() -> None:
    text = "“We will win,” Trump said. “No, you won't,” Clinton replied."
    quotes = extract_quotes(text)
    assert [q.speaker for q in quotes] == ["Trump", "Clinton"]


def test_multi_paragraph_quote() -> None:
    text = (
        "“This is the first paragraph of a long statement that goes on.\n\n"
        "“And this is the second one,” Smith said."
    )
    q = only(text)
    assert q.speaker == "Smith"
    assert "first paragraph" in q.text and "second one" in q.text
    assert q.span[0] == 1


def test_later_bare_paragraph_inherits_speaker() -> None:
    text = "Trump joked: “I am the best.”\n\n“Really the very best,” he added."
    quotes = extract_quotes(text)
    assert [q.speaker for q in quotes] == ["Trump", "Trump"]
    assert [q.cue for q in quotes] == ["joked", "added"]


def test_british_single_quotes_and_apostrophes() -> None:
    text = (
        "Jo Bloggs, who coached the boys’ team in the ’90s, didn’t hold back. "
        "‘We don’t give up on Kim’s side,’ Bloggs said."
    )
    q = only(text)
    assert q.text == "We don’t give up on Kim’s side"
    check_offsets(text, q)
    assert q.speaker == "Jo Bloggs"


def test_straight_single_quotes_daily_mail() -> None:
    text = "'Hillary Clinton has gotten away with it,' Julia explained."
    q = only(text)
    assert q.text == "Hillary Clinton has gotten away with it"
    assert q.speaker == "Julia"
    assert q.cue == "explained"


def test_apostrophes_alone_are_not_quotes() -> None:
    text = "It's the boys' day. Rock 'n' roll isn't dead, and the '80s aren't back."
    assert extract_quotes(text) == []


def test_nyt_doubled_apostrophes() -> None:
    text = "''We are in the people-pleasing business,'' Mr. DiPietro said."
    q = only(text)
    assert q.text == "We are in the people-pleasing business"
    assert q.speaker == "DiPietro"


# --------------------------------------------------------------------------- partials


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Trump once mocked Kim as “Little Rocket Man” in 2017.", "Little Rocket Man"),
        ("In April, he praised Kim as a “very smart guy” and left.", "very smart guy"),
        ("He said he would like to “do something at some point” soon.", "do something"),
        ("She called the plan “a disaster.”", "a disaster."),
    ],
)
def test_partial_quotes(text: str, fragment: str) -> None:
    q = only(text)
    assert q.partial
    assert q.text.startswith(fragment)
    assert key_quotes([q]) == []


def test_partial_keeps_attributable_speaker() -> None:
    text = "Trump, who famously mocked Kim as “Little Rocket Man” in 2017, met him."
    q = only(text)
    assert q.partial
    assert q.speaker == "Trump"


# --------------------------------------------------------------------------- ranking


def test_key_quotes_prefer_named_substantial_quotes() -> None:
    text = (
        "Jane Smith, the mayor, opened the meeting.\n\n"
        "“Yes,” someone shouted.\n\n"
        "“We will rebuild every school in this city before the winter,” Smith said.\n\n"
        "The plan was called “ambitious” by critics.\n\n"
        "“It is a good plan, and we support it fully,” a resident said."
    )
    quotes = extract_quotes(text)
    best = key_quotes(quotes, n=2)
    assert best[0].speaker == "Jane Smith"
    assert best[0].text.startswith("We will rebuild")
    assert all(not q.partial for q in best)
    assert best[0].score > best[1].score
    assert len(key_quotes(quotes, n=10)) == 3  # the scare quote never ranks


def test_key_quotes_on_spec_article() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    quotes = extract_quotes(text)
    by_text = {q.text: q for q in quotes}
    best = key_quotes(quotes)
    texts = [q.text for q in best]
    assert any(t.startswith("I look forward to seeing him") for t in texts)
    assert any(t.startswith("Sometimes you have to walk") for t in texts)
    assert all(q.speaker == "Trump" for q in best)
    # Both required quotes beat every quote left out by a clear margin, not by a hair.
    walk = next(q for q in best if q.text.startswith("Sometimes you have to walk"))
    left_out = [q for q in quotes if not q.partial and q not in best]
    assert left_out and walk.score - max(q.score for q in left_out) >= 0.5
    for frag in (
        "Little Rocket Man",
        "no will to improve relations",
        "will to provoke war",
        "very smart guy",
        "do something at some point",
    ):
        assert by_text[frag].partial, frag
    assert by_text["no will to improve relations"].speaker == "Kim Yo-jong"
    remember = next(q for q in quotes if q.text.startswith("Remember when I walked"))
    assert remember.speaker == "Trump"
    assert remember.cue == "asked"
    assert not remember.partial
    for q in quotes:
        if "…" not in q.text:
            check_offsets(text, q)
        if q.speaker_span:
            assert text[q.speaker_span[0] : q.speaker_span[1]] in (
                "Trump",
                "he",
                "Kim Yo-jong",
                "Kim",
            )


# --------------------------------------------------------------------------- input


def test_skip_regions_are_ignored() -> None:
    text = "“Subscribe now,” the banner said. “We will win,” Trump said."
    cut = text.index("“We")
    quotes = extract_quotes(text, skip=[(0, cut)])
    assert [q.text for q in quotes] == ["We will win"]
    assert quotes[0].span[0] > cut


def test_bad_input() -> None:
    assert extract_quotes("") == []
    assert extract_quotes("No quotes in this sentence at all.") == []
    assert extract_quotes("“Unbalanced and never closed, Smith said.") == []
    assert extract_quotes("Closed only” here and ” there.") == []
    # An unclosed opener must not swallow a later, well-formed quote.
    text = "“Broken opener.\n\nNothing here.\n\n“We will win,” Trump said."
    assert [q.text for q in extract_quotes(text)] == ["We will win"]


def test_huge_input_finishes() -> None:
    # 5 MB with unbalanced marks and apostrophes everywhere: must stay linear.
    para = (
        "the boys’ team didn’t win in the ’90s, and ‘nobody cared about it at all. "
        '“An unbalanced opener and "straight ones and more words here ” a stray closer '
        "' odd mark, then Mr. Smith said nothing more about it. Officials in the city "
        "met again on Tuesday to discuss the budget, the schools and the roads, and "
        "nobody expected the talks to end before the winter holidays began.\n"
    )
    text = para * (5_000_000 // len(para)) + "\n“We will win,” Trump said."
    t0 = time.perf_counter()
    quotes = extract_quotes(text)
    assert time.perf_counter() - t0 < 60  # bounded, not a benchmark
    assert quotes[-1].text == "We will win"
    assert quotes[-1].speaker == "Trump"


# --------------------------------------------------------------------------- sample-article bugs


def test_pronoun_prefers_subject_after_leading_phrase() -> None:
    # The subject after an introductory phrase beats an earlier speaker.
    text = (
        "“We knocked on every door,” said Gareth Pryce, the fire chief.\n\n"
        "The council said it would release money for two villages.\n\n"
        "At the shop his family has run on Bridge Street for decades, Tom Ashdown "
        "pointed to a tide line. “It took my father 30 years,” he said."
    )
    q = extract_quotes(text)[-1]
    assert spk(text, q) == "he"
    assert q.speaker == "Tom Ashdown"


def test_pronoun_gender_blocks_a_woman_for_he() -> None:
    text = (
        "Mara Quinlan addressed strikers at the gate. “We did not want this,” Quinlan said.\n\n"
        "Talks collapsed on Friday.\n\n"
        "The authority’s chief executive insisted that retraining would be offered. "
        "“The offer is fair,” he said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker != "Mara Quinlan"


def test_gender_learned_from_pronouns_in_the_article() -> None:
    # Neither first name is on a list: "she" after Brisco teaches that Brisco is a woman.
    text = (
        "Odile Brisco chairs the board. She said on Monday that the vote was close.\n\n"
        "Talks went on.\n\n"
        "Brisco spoke to the crowd while the talks went on. The union later met.\n\n"
        "“The offer is fair,” he said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker != "Odile Brisco"


def test_topic_person_beats_place_for_pronoun() -> None:
    text = (
        "Dockers at the Port of Kessington walked out, the Kessington Port Authority said. "
        "Kessington, which handles a third of all containers, is the main entry point.\n\n"
        "For Joe Tanner, a crane operator with 22 years at the port, automation is the "
        "bigger worry. “I have trained the people who will be replaced,” he said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker == "Joe Tanner"


def test_place_is_not_a_speaker() -> None:
    text = (
        "Ships queued at the Port of Kessington, the Kessington Port Authority said. "
        "Kessington, which handles a third of the trade, is the main entry point.\n\n"
        "“We remain ready to talk,” he said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker is None


def test_role_word_marks_person_and_team_is_not_one() -> None:
    text = (
        "Northfield Rovers won the cup on Saturday.\n\n"
        "Rovers manager Elena Costa, who took charge in October, dedicated the win to "
        "the supporters. “They stayed with us,” she said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker == "Elena Costa"


@pytest.mark.parametrize(
    "role",
    [
        "Substitute",
        "Striker",
        "Captain",
        "Midfielder",
        "Defender",
        "Goalkeeper",
        "Coach",
        "Manager",
        "Chairman",
        "Councillor",
        "Senator",
        "Professor",
        "Dr",
    ],
)
def test_capitalised_role_is_stripped_from_name(role: str) -> None:
    text = (
        f"{role} Jonah Mbeki scored the winner.\n\n"
        "“I have waited my whole career for this,” Mbeki said."
    )
    q = extract_quotes(text)[-1]
    assert q.speaker == "Jonah Mbeki"


def test_ranking_prefers_statements_over_questions_and_embedded_quotes() -> None:
    text = (
        "Jane Smith spoke on Monday.\n\n"
        "“Remember when we all went to the coast together?” Smith asked with a grin, "
        "stressing that the trip had made the whole team feel safe and united again.\n\n"
        "“We will open the new hospital wing in May,” Smith said."
    )
    question, statement = extract_quotes(text)
    assert statement.score > question.score + 0.3
    assert key_quotes([question, statement], n=1) == [statement]


# --------------------------------------------------------------------------- not speech


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        # A quote fragment inside the title line.
        (
            "Clinton Says Hackers Hit Party Servers, Calls Rival’s Remarks ‘Troubling.’\n\n"
            "WASHINGTON — Hillary Clinton said on Sunday that the attack was serious.",
            "Troubling.",
        ),
        # A subhead in single marks in an article that quotes with double marks.
        (
            "“We will win,” Smith said.\n\n‘A healthy environment.’\n\nThe plant opened in 1990.",
            "A healthy environment.",
        ),
        # Titles of works.
        ("In his new book, “Doomed to Succeed,” he traces the talks.", "Doomed to Succeed"),
        ("She starred in her blockbuster film, “Trainwreck.”", "Trainwreck."),
        ("Fiorina told “Fox and Friends” that she would run.", "Fox and Friends"),
        ("“Cruel Intentions,” with Sarah Gellar, returns to TV.", "Cruel Intentions"),
        # A bylined headline in a newsletter.
        (
            "BROADWAY—“Matthew Morrison is leaving the show,” by Times' Michael Paulson.",
            "Matthew Morrison is leaving the show",
        ),
        # Dated campaign slogans.
        ("The party's posters read “Yes to minaret ban” (2009).", "Yes to minaret ban"),
        # The sentence runs on after the quote.
        (
            "“He can assert it, but it seems extremely unlikely” that Sanders can win, "
            "said Steve Elmendorf.",
            "He can assert it",
        ),
    ],
)
def test_not_speech_is_partial(text: str, fragment: str) -> None:
    q = next(q for q in extract_quotes(text) if q.text.startswith(fragment))
    assert q.partial
    assert q not in key_quotes(extract_quotes(text), n=10)


def test_attributed_headline_quote_stays_full() -> None:
    text = (
        "Kasich: ‘We Are Going To Go All The Way To Cleveland.’\n\n"
        "Tuesday in Berea, Ohio, John Kasich told supporters he would fight on."
    )
    q = only(text)
    assert not q.partial
    assert q.speaker == "John Kasich"
