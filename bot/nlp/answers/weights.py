"""Every weight and threshold of the answerer, named, in one place.

Set by hand on reader-written questions over real news (bench/answers_eval.py on
followups-dev; a held-out set of the same kind checks them) and on the bundled
samples (bench/answers_dev.py); change one here and rerun both. Round values on
purpose: a weight that only one article needs is no weight.
Scores are products and sums of these, so each says what it multiplies or adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class AnswerWeights:
    # --- question terms
    previous_question: float = 0.4  # weight of the previous question's words in a follow-up
    entity: float = 1.5  # weight of a capitalised word of the question (a name)
    min_number_digits: int = 4  # shorter numbers are no search terms (a year is one)

    # --- BM25 over sentences
    k1: float = 1.2  # Okapi BM25 term-frequency saturation
    b: float = 0.75  # Okapi BM25 length normalisation
    paraphrase: float = 0.7  # how much an everyday paraphrase counts against the word itself
    synonym: float = 0.5  # ... and a WordNet synonym
    context: float = 0.35  # how much a word found only in the previous sentence counts

    # --- ranking one sentence
    coverage_base: float = 0.5  # score *= coverage_base + share of the question matched
    exact_evidence: float = 0.99  # evidence at least this high is exactly what the kind needs
    said_bonus: float = 3.0  # added when the sentence reports what the asked-about person said
    said_gain: float = 1.5  # ... plus this times how surely it reports them
    say_coverage: float = 0.9  # coverage floor of a sentence the asked-about person said
    unsaid_score: float = 0.2  # "what did X say": score factor of a sentence X did not say
    unsaid_coverage: float = 0.4  # ... and its coverage factor
    mention_bonus: float = 0.5  # added when the sentence names the person a follow-up is about
    evidence_floor: float = 0.3  # score *= evidence_floor + evidence_gain * evidence
    evidence_gain: float = 0.7  # ... (evidence is 0..1)
    near_previous: float = 1.15  # follow-up: factor for a sentence next to the previous answer
    near_previous_bare: float = 2.0  # ... when the follow-up has no words of its own
    near_window: int = 1  # ... within this many sentences of it
    lead_bonus: float = 0.05  # score *= 1 + lead_bonus / (1 + position): main facts come first

    # --- confidence and the answer's length
    unused_word: float = 0.7  # how much a question word no article uses weighs in coverage
    min_coverage: float = 0.5  # share of the question's weight a confident answer must match
    min_coverage_with_evidence: float = 0.4  # ... when the sentence has exactly what it needs
    min_coverage_yesno: float = 0.8  # ... for a yes-or-no question
    min_evidence: float = 0.5  # less evidence than this for the question's kind: "I don't know"
    min_margin: float = 1.15  # the best must outscore any other sentence (but its neighbours) so
    second_share: float = 0.8  # a second sentence must score this share of the best one
    second_coverage: float = 0.6  # ... and cover this much of the question
    quote_lookback: int = 2  # "say": show a quote's start up to this many sentences back

    # --- which articles of a digest thread a question is about
    focus_share: float = 0.6  # in focus: within this share of the most relevant article
    focus_lead: float = 2.0  # factor for a word in the title or first sentences
    lead_sentences: int = 2  # how many first sentences count as the article's lead

    # --- evidence the kind of question needs (each 0..1; 1 is exactly right)
    near_words: int = 10  # the answer within this many words of a question word: right there
    near_far: float = 0.8  # ... within twice that: factor on the evidence
    near_none: float = 0.6  # ... further, or no question word in the sentence
    chars_per_word: float = 6.0  # for measuring that distance in characters
    constraint_miss: float = 0.6  # factor when the time asked about ("last year") is absent
    when_last_date: float = 0.7  # "when was X last ...": a date without "since <year>"
    size_any_number: float = 0.8  # "how big": factor for any number near the thing
    measure_miss: float = 0.1  # a number question whose measure (%, score, age) is absent
    money_number: float = 0.3  # "how much money": a number that is no amount of money
    effect_miss: float = 0.3  # "how well did it work": no percentage
    cause_none: float = 0.2  # "why": no causal marker
    cause_elsewhere: float = 0.6  # "why": a causal marker, but not after the thing asked about
    place_base: float = 0.6  # "where": base for named places ...
    place_each: float = 0.2  # ... plus this per place named
    place_noun: float = 0.6  # "where": no name, but a place noun ("the station")
    place_none: float = 0.2  # "where": no place at all
    who_role: float = 0.6  # "who": no name, but a role ("the manager")
    who_none: float = 0.2  # "who": no one at all
    name_none: float = 0.3  # "which team", "what is it called": no name the question lacks
    name_far: float = 0.7  # ... a name, but not next to the noun asked about
    name_window: int = 4  # near: within this many words
    name_next: float = 1.5  # right next to it: within this many words (chars / chars_per_word)
    name_near: float = 0.85  # ... a name near the noun, not next to it
    who_other_name: float = 0.7  # "who": a capitalised name that is no person or body
    say_none: float = 0.3  # "what did X say": neither a quote nor a verb of saying
    number_window: int = 3  # "how many": a number within this many words of the noun
    number_word: float = 0.8  # ... written as a word ("three")
    number_vague: float = 0.6  # ... a vague one ("hundreds")
    number_far: float = 0.5  # ... anywhere else in a sentence with the noun
    number_no_digit: float = 0.7  # no counted noun asked: a number word, no digits

    # --- people: who said what, and how the articles describe them
    full_quote: float = 1.0  # how surely a direct quote reports its speaker
    partial_quote: float = 0.8  # ... a partial quote (a fragment inside a paraphrase)
    reported_speech: float = 0.8  # ... "Maas said", "said Lim Wei"
    anaphoric_speech: float = 0.8  # ... "he said" after a sentence naming them
    describe_name: float = 1.0  # weight of the words right around a name (role, appositive)
    describe_sentence: float = 0.4  # weight of the rest of a sentence that names them
    role_words: int = 8  # how many words before a name can describe it
    comma_role_words: int = 6  # ... when the name is an appositive ("Kim's sister, Kim Yo-jong,")
    appositive_words: int = 15  # how many words of an appositive after a name describe it
    describe_share: Fraction = Fraction(2, 3)  # share of a description's words a person must have
    describe_head_share: Fraction = Fraction(1, 2)  # ... when the phrase's head noun matches
    describe_min: float = 0.7  # and the least total weight they must match
    describe_max_people: int = 3  # more people fit a description equally well: no one does


WEIGHTS = AnswerWeights()
