"""Direct quotes and who said them, found with regular expressions and linear scans.

No parser and no model: the bot has to digest dozens of articles a second and may
never download anything at run time, so everything here is pattern work over the
text as given. Offsets always point into the caller's text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot.models import Quote, Span

__all__ = ["extract_quotes", "key_quotes"]


def _wl(words: str) -> list[str]:
    return words.split()


def _w(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --------------------------------------------------------------------------- lexicon

_CUE_WORDS = _wl(
    "say says said saying tell tells told telling add adds added adding ask asks asked "
    "asking explain explains explained explaining insist insists insisted insisting joke "
    "jokes joked joking write writes wrote writing tweet tweets tweeted tweeting claim "
    "claims claimed claiming note notes noted noting argue argues argued arguing warn "
    "warns warned warning declare declares declared declaring continue continues "
    "continued continuing recall recalls recalled recalling reply replies replied "
    "replying respond responds responded responding stated stating announce "
    "announces announced announcing acknowledge acknowledges acknowledged acknowledging "
    "admit admits admitted admitting concede concedes conceded conceding suggest suggests "
    "suggested suggesting observe observes observed observing remark remarks remarked "
    "remarking quip quips quipped quipping shout shouts shouted shouting yell yells "
    "yelled yelling cry cries cried crying exclaim exclaims exclaimed exclaiming urge "
    "urges urged urging predict predicts predicted predicting promise promises promised "
    "promising vow vows vowed vowing pledge pledges pledged pledging boast boasts boasted "
    "boasting brag brags bragged bragging complain complains complained complaining "
    "charge charges charged charging counter counters countered countering retort retorts "
    "retorted retorting stress stresses stressed stressing emphasize emphasizes "
    "emphasized emphasizing emphasise emphasised testify testifies testified testifying "
    "post posts posted posting confirm confirms confirmed confirming deny denies denied "
    "denying lament laments lamented lamenting muse muses mused musing sigh sighs sighed "
    "snap snaps snapped interject interjects interjected interjecting conclude concludes "
    "concluded concluding repeat repeats repeated repeating reiterate reiterates "
    "reiterated reiterating echo echoes echoed echoing agree agrees agreed agreeing "
    "speculate speculates speculated speculating wonder wonders wondered wondering "
    "caution cautions cautioned cautioning maintain maintains maintained maintaining "
    "contend contends contended contending allege alleges alleged alleging assure assures "
    "assured assuring reveal reveals revealed revealing text texts texted email emails "
    "emailed read reads reading sing sings sang singing chant chants chanted chanting "
    "scream screams screamed screaming whisper whispers whispered whispering mock mocks "
    "mocked mocking blast blasts blasted blasting praise praises praised praising call "
    "calls called calling describe describes described describing insist tweeted report "
    "reports reported reporting demand demands demanded demanding begin begins began "
    "beginning thunder thundered proclaim proclaims proclaimed proclaiming opine opines "
    "opined quote quotes quoted quoting question questions questioned questioning point "
    "points pointed pointing put puts putting hint hints hinted hinting scoff scoffs "
    "scoffed scoffing shoot shot fire fires fired firing"
)
_CUE_SET = frozenset(_CUE_WORDS)
# Verbs that only introduce speech with help ("pointed out", "went on", "put it").
_CUE_PARTICLE = {"point": "out", "points": "out", "pointed": "out", "pointing": "out"}
_WEAK_CUES = frozenset(
    _wl(
        "call calls called calling describe describes described describing praise praises "
        "praised praising mock mocks mocked mocking blast blasts blasted blasting put puts "
        "putting hint hints hinted hinting quote quotes quoted quoting read reads reading "
        "question questions questioned questioning post posts posted posting report reports "
        "reported reporting shoot shot fire fires fired firing charge charges charged "
        "charging state states stated stating point points pointed pointing begin begins "
        "began beginning"
    )
)
_CUE_OBJECTS = frozenset(
    _wl(
        "reporters journalists supporters the crowd audience viewers listeners voters "
        "students me us him her them members lawmakers"
    )
)

_PRONOUNS = frozenset(["he", "she", "they", "it", "i", "we", "you"])
_PERSON_PRONOUNS = frozenset(["he", "she"])

_TITLES = frozenset(
    _wl(
        "mr mrs ms miss dr sen senator rep representative gov governor president pres vice "
        "secretary sec gen general col colonel lt lieutenant capt captain sgt sergeant maj "
        "major prof professor rev reverend judge justice chief mayor prime minister "
        "chancellor speaker leader king queen prince princess sir dame lord lady pope "
        "ambassador amb commissioner chairman chairwoman chair chairperson director attorney "
        "deputy former candidate nominee congressman congresswoman councilman councilwoman "
        "assemblyman assemblywoman adm admiral cmdr commander officer detective sheriff supt "
        "superintendent spokesman spokeswoman spokesperson anchor host pastor father sister "
        "brother bishop cardinal rabbi imam sheikh founder ceo cfo executive manager coach "
        "dean gen. hon sens reps govs strategist adviser advisor aide pollster analyst "
        "economist sgt. state secretary-general frontrunner front-runner billionaire "
        "businessman businesswoman actor actress comedian singer rapper author writer "
        "columnist editor reporter correspondent producer member councillor councilor "
        "substitute striker midfielder defender goalkeeper forward winger skipper captain "
        "referee doctor nurse inspector constable superintendent minister premier mp "
        "epidemiologist scientist researcher physician surgeon lawyer solicitor barrister "
        "historian diplomat envoy spokesperson lecturer"
    )
)
# Lower-case role words that make the following capitalised words a person's name
# ("Rovers manager Elena Costa", "striker Kofi Mensah", "chief executive Laura Brandt").
_ROLE_BEFORE = _TITLES - frozenset(
    _wl("state member former chief vice deputy general major father sister brother host")
)
_FEMALE_TITLES = frozenset(_w("mrs ms miss queen princess dame lady congresswoman"))
_MALE_TITLES = frozenset(["mr", "king", "prince", "sir", "lord", "congressman"])
_FEMALE_NAMES = frozenset(
    _wl(
        "hillary nancy elizabeth sarah sara mary patricia jennifer linda barbara susan "
        "margaret jessica karen lisa betty dorothy sandra ashley kimberly donna emily "
        "michelle carol amanda melissa deborah stephanie rebecca laura helen sharon cynthia "
        "kathleen amy shirley angela anna ruth brenda pamela nicole katherine catherine "
        "christine samantha debbie janet rachel carolyn emma maria heather diane julie joyce "
        "victoria kelly christina joan evelyn lauren judith olivia megyn melania ivanka "
        "chelsea kellyanne huma condoleezza theresa angela marine nikki kamala tulsi carly "
        "michele loretta samantha madeleine jill julia sophie claire alice jane kate kathy "
        "kirsten dianne maxine debbie tammy amy jeanne susana hope sheryl oprah beyonce "
        "taylor kim yo-jong elena mara ana anna priya amina fatima aisha ayesha sofia sophia "
        "isabel isabella lucia carmen rosa marta ingrid astrid freya greta hannah leah "
        "chloe zoe grace ella lucy molly ellie charlotte harriet eleanor beatrice alison "
        "allison gillian fiona kirsty siobhan niamh aoife bridget maureen eileen sheila "
        "yvonne denise tracey tracy wendy gemma jo joanna joanne louise caroline natalie "
        "natasha olga irina svetlana tatiana yulia anastasia agnieszka katarzyna "
        "monika ewa magdalena petra eva elisa giulia francesca chiara alessandra "
        "valentina camila gabriela mariana daniela ana paula adriana patricia beatriz "
        "ines leila layla yasmin nadia samira zainab mei ling yuki sakura priyanka "
        "sunita anjali deepa lakshmi ngozi chiamaka adaeze wanjiru grace mercy "
        "abigail brittany danielle erin megan shannon tiffany vanessa veronica "
        "whitney hilary condi rosalind judy janice gloria diana marie sandra martha "
        "margot penelope rebekah ruth naomi miriam esther deborah tamara vera nina"
    )
)
_MALE_NAMES = frozenset(
    _wl(
        "donald barack bernie ted marco jeb ben john james robert michael william david "
        "richard joseph thomas charles christopher daniel matthew anthony mark paul steven "
        "andrew kenneth joshua kevin brian george edward ronald timothy jason jeffrey ryan "
        "jacob gary nicholas eric jonathan stephen larry justin scott brandon frank benjamin "
        "gregory samuel raymond patrick alexander jack dennis jerry tyler aaron jose henry "
        "adam douglas nathan peter zachary kyle walter harold jeremy ethan carl keith roger "
        "gerald christian terry sean arthur austin noah lawrence jesse joe bryan billy bill "
        "mike chris mitt rand rick newt mitch chuck harry joe tim jim bob tom dick mitch "
        "reince corey paul lindsey vladimir xi boris emmanuel recep bashar kim jong-un "
        "jae-myung moon gareth victor jonah luis piotr kofi graham derek tomas thomas "
        "marcus hendrik ian iain alan allan neil colin duncan angus hamish craig gordon "
        "stuart stewart martin simon nigel trevor clive graeme rhys dylan owen evan "
        "liam connor declan sean seamus ciaran padraig oliver harry henry william "
        "archie alfie freddie oscar hugo felix max leo lucas luke mateo diego carlos "
        "juan pedro pablo miguel javier alejandro antonio manuel francisco rafael "
        "sergio andres fernando ricardo eduardo roberto marco giuseppe giovanni luca "
        "matteo alessandro lorenzo francesco pierre jacques louis francois "
        "philippe olivier nicolas hans klaus jurgen stefan wolfgang dieter heinz "
        "lars sven erik anders nils bjorn olaf pieter willem dmitry sergei "
        "ivan alexei mikhail andrei nikolai yuri igor oleg viktor ahmed mohammed "
        "muhammad mohamed ali hassan omar khalid ibrahim yusuf mustafa tariq rajesh "
        "rahul arjun vikram sanjay amit ravi hiroshi takeshi kenji jian "
        "kwame kwesi chinedu emeka oluwaseun tunde musa abdullah hamid reza "
        "benjamin ezra isaac elijah gideon caleb malcolm desmond nelson cyril jacob"
    )
)
_NONPERSON = frozenset(
    _wl(
        "the a an this that these those it its he she they we i you his her their our my but "
        "and or so yet if when while after before as for with at by in on of to from still "
        "even indeed despite since whether what why how who where there here then now today "
        "yesterday tomorrow also however meanwhile instead though although because once "
        "during until unless some many most all both each every no not monday tuesday "
        "wednesday thursday friday saturday sunday january february march april may june july "
        "august september october november december house senate congress party department "
        "news times post street journal university college school committee court council "
        "union republican republicans democrat democrats democratic gop god twitter facebook "
        "instagram youtube cnn msnbc fox nbc abc cbs npr pbs bbc ap afp reuters korea states "
        "america american americans united kingdom britain british china chinese russia "
        "russian iran iraq syria israel mexico canada europe european japan india france "
        "germany washington york california texas florida ohio iowa virginia carolina city "
        "county state federal national white black office administration campaign government "
        "ministry agency army navy force command center centre institute foundation "
        "association group club inc corp co ltd llc tower hall church mosque airport station "
        "bank fund press media network channel magazine daily weekly review herald tribune "
        "telegraph guardian mail express sun dmz un nato eu usa uk us u.s. u.k. fbi cia nsa "
        "doj irs epa isis obamacare medicare medicaid north south east west new old great"
    )
)
_ADVERBS = frozenset(
    _wl(
        "also later then once previously recently famously reportedly has have had would will "
        "again just never often flatly simply quickly frequently repeatedly publicly "
        "privately bluntly angrily firmly calmly softly quietly loudly sarcastically jokingly "
        "proudly confidently earlier subsequently finally initially originally has since "
        "ultimately further additionally similarly likewise famously recently already always "
        "memorably curtly tersely shortly immediately emphatically explicitly directly openly "
        "clearly"
    )
)
_DETERMINERS = frozenset(
    _wl(
        "the a an his her their its one another some many several two three four five other "
        "our my your this that these those each"
    )
)
_ABBREVIATIONS = frozenset(
    _wl(
        "mr mrs ms dr sen rep gov gen col lt capt sgt maj prof rev st jr sr vs no inc corp co "
        "ltd jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k d.c a.m p.m e.g i.e etc "
        "ft mt pres sec adm cmdr supt"
    )
)

# --------------------------------------------------------------------------- regexes

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
_LETTER = f"{_UP}{_LO}"
_TOKEN = (
    rf"(?:Mc|Mac|O['’]|D['’])?[{_UP}][{_LETTER}]*(?:[-'’][{_LETTER}]+)*\.?"
    rf"|[{_UP}]\.(?:[{_UP}]\.)+"
)
_PARTICLES = "de|da|di|du|del|della|van|von|der|den|la|le|bin|ibn|al|el|dos|das|ter|ten"
_CAPSEQ_RE = re.compile(
    rf"(?<![\w’'-])(?:{_TOKEN})(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+)?(?:{_TOKEN}))*"
)
# A plain word scan filtered by a set: far faster than a 400-way alternation.
_CUE_SCAN_RE = re.compile(
    r"(?<![\w’'-])(?:according to|went on|point(?:ed|s|ing)? out|put it|[A-Za-z]+)(?![\w’'-])",
    re.IGNORECASE,
)


def _cues(text: str, lo: int = 0, hi: int | None = None) -> Iterator[re.Match[str]]:
    """Verbs of saying in text[lo:hi], in order."""
    for m in _CUE_SCAN_RE.finditer(text, lo, len(text) if hi is None else hi):
        w = m.group()
        if " " in w or w.lower() in _CUE_SET:
            yield m


def _cue_at(text: str, pos: int) -> bool:
    m = _CUE_SCAN_RE.match(text, pos)
    return m is not None and (" " in m.group() or m.group().lower() in _CUE_SET)


def _first_cue(text: str, lo: int = 0, hi: int | None = None) -> re.Match[str] | None:
    return next(_cues(text, lo, hi), None)


_WORD_RE = re.compile(rf"[{_LETTER}0-9][{_LETTER}0-9’'.-]*")
_PRON_RE = re.compile(r"(?<![\w’'-])(he|she|they|it|I|we)(?![\w’'-])", re.IGNORECASE)
_SENT_END_RE = re.compile(r"([.!?…]+)[\"”’')\]]*(?=\s+[\"“‘'(\[]?[" + _UP + r"0-9])|[!?]\s")
_PARA_RE = re.compile(r"\n")
_WS_PUNCT = " \t\r\n,;:—–-(\"“”‘’'"

# Opening/closing context for straight and curly marks.
_DOUBLE_MARKS = re.compile(r"''(?!')|[\"“”]|\n")
_SINGLE_MARKS = re.compile(r"[‘’']|\n")


# --------------------------------------------------------------------------- regions


@dataclass(slots=True)
class _Region:
    """A quoted stretch: parts are inner spans (marks excluded), possibly several."""

    parts: list[Span]
    open_pos: int  # offset of the first opening mark
    close_pos: int  # offset just after the last closing mark
    kind: str  # "double" or "single"
    speaker: str | None = None
    speaker_span: Span | None = None
    cue: str | None = None
    partial: bool = False
    inherited: bool = False
    trail: int = 0  # narration after a trailing attribution ("…,” he said, noting that …)
    names: list[str] = field(default_factory=list)


def _is_space(ch: str) -> bool:
    return ch == "" or ch.isspace()


def _prev_char(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def _next_char(text: str, i: int) -> str:
    return text[i + 1] if i + 1 < len(text) else ""


def _paragraph_opens_with(text: str, pos: int, marks: str) -> int:
    """Offset of a quote mark opening the paragraph that starts at pos, or -1."""
    j = pos
    n = len(text)
    while j < n and text[j] in " \t\r\n":
        j += 1
    if j < n and text[j] in marks:
        return j
    return -1


def _double_regions(text: str) -> list[_Region]:
    """Pair double marks in one linear pass; unbalanced openers are dropped."""
    regions: list[_Region] = []
    open_at = -1
    open_w = 1
    parts: list[Span] = []
    first_open = -1
    for m in _DOUBLE_MARKS.finditer(text):
        i = m.start()
        ch = m.group()
        if ch == "''":
            ch = '"'  # NYT-style doubled apostrophes
        if ch == "\n":
            if open_at >= 0:
                nxt = _paragraph_opens_with(text, i, '“"')
                if nxt < 0 and text.startswith("''", _first_nonspace(text, i + 1)):
                    nxt = i + 1
                # News convention: an unclosed paragraph continues if the next one reopens.
                if nxt >= 0 and i - open_at > 40:
                    parts.append((open_at + open_w, i))
                    open_at = -2  # waiting for the reopening mark
                    continue
                open_at = -1
                parts = []
            continue
        if open_at == -2:
            open_at = i
            open_w = m.end() - i
            continue
        is_open: bool
        if ch == "“":
            is_open = True
        elif ch == "”":
            is_open = False
        elif open_at < 0:
            is_open = not _is_space(_next_char(text, m.end() - 1)) or _is_space(_prev_char(text, i))
        else:
            is_open = False  # parity: a straight mark closes an open quote
        if is_open:
            if open_at >= 0:
                parts = []  # the previous opener was never closed
            if not parts:
                first_open = i
            open_at = i
            open_w = m.end() - i
        elif open_at >= 0:
            parts.append((open_at + open_w, i))
            regions.append(_Region(parts=parts, open_pos=first_open, close_pos=m.end(), kind="d"))
            parts = []
            open_at = -1
    return regions


_SINGLE_OPEN_BEFORE = ' \t\n(—–-:[“"'
_CONTRACTIONS = re.compile(
    r"['‘](?:em|til|cause|n|tis|twas|bout|round|s|d|ll|re|ve|t|m|\d\d?s?)\b", re.IGNORECASE
)


def _single_regions(text: str, blocked: list[Span]) -> list[_Region]:
    """British ‘…’ and Daily-Mail '…' quotes, outside double-quoted stretches."""
    regions: list[_Region] = []
    starts = [b[0] for b in blocked]
    n = len(text)
    pos = 0
    marks = list(_SINGLE_MARKS.finditer(text))
    k = 0
    while k < len(marks):
        i = marks[k].start()
        k += 1
        ch = text[i]
        if ch == "\n" or i < pos or ch == "’":
            continue
        prev = _prev_char(text, i)
        nxt = _next_char(text, i)
        if prev and prev not in _SINGLE_OPEN_BEFORE:
            continue
        if not nxt or not (nxt.isalpha() or nxt in "…."):
            continue
        if _CONTRACTIONS.match(text, i):
            continue
        if ch == "'" and not nxt.isupper():
            continue
        b = bisect.bisect_right(starts, i) - 1
        if b >= 0 and blocked[b][0] <= i < blocked[b][1]:
            continue
        # Look for the closer of the same family within the paragraph.
        close = -1
        fallback = -1
        j = k
        while j < len(marks):
            mj = marks[j]
            c = mj.start()
            cj = text[c]
            if cj == "\n" or c - i > 3000:
                break
            j += 1
            if ch == "‘" and cj == "‘":
                if _prev_char(text, c) in _SINGLE_OPEN_BEFORE and _next_char(text, c).isalpha():
                    break  # a new opener: ours was unbalanced
                continue
            if ch == "'" and cj != "'":
                continue
            if ch == "‘" and cj != "’":
                continue
            after = _next_char(text, c)
            before = _prev_char(text, c)
            if after and (after.isalnum() or after in "’'"):
                continue  # apostrophe inside a word: don't, Kim’s
            if before.isspace():
                continue
            if before in ",.!?…;:—-":
                close = c
                break
            if ch == "'":
                continue  # straight singles only close after punctuation (precision)
            if before in "sS" and after == " " and c + 2 < n and text[c + 2].islower():
                continue  # the boys’ team
            if fallback < 0:
                fallback = c
                if after and after in ",.;:!?)—-":
                    close = c
                    break
        if close < 0:
            close = fallback
        if close < 0 or close - i < 2:
            continue
        inner = (i + 1, close)
        # Drop when it crosses a double-quoted stretch.
        b2 = bisect.bisect_right(starts, close) - 1
        if b2 >= 0 and blocked[b2][1] > i and blocked[b2][0] < close:
            continue
        regions.append(_Region(parts=[inner], open_pos=i, close_pos=close + 1, kind="s"))
        pos = close + 1
    return regions


def _find_regions(text: str) -> list[_Region]:
    doubles = _double_regions(text)
    blocked = [(r.open_pos, r.close_pos) for r in doubles]
    singles = _single_regions(text, blocked) if ("‘" in text or "'" in text) else []
    if not singles:
        return doubles
    merged = doubles + singles
    merged.sort(key=lambda r: r.open_pos)
    return merged


# --------------------------------------------------------------------------- names


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    tokens: tuple[str, ...]
    possessive: bool
    titled: bool
    gender: str  # "m", "f" or ""
    subject: bool = False
    org: bool = False  # modifies a role + name: "Rovers" in "Rovers manager Elena Costa"


def _clean_token(tok: str) -> str:
    return tok.rstrip(".") if len(tok) > 2 and not re.fullmatch(r"(?:[A-Z]\.)+", tok) else tok


class _Names:
    """Capitalised name mentions of an article, indexed for speaker resolution."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.mentions: list[_Mention] = []
        self.counts: dict[str, int] = {}
        # Distinct multi-word forms per last / first token, with counts (first-seen order).
        self.full: dict[str, dict[tuple[str, ...], int]] = {}
        self.first_tok: dict[str, dict[tuple[str, ...], int]] = {}
        self._canon: dict[tuple[str, ...], str] = {}
        self.gender: dict[str, str] = {}
        self.speaker_keys: set[str] = set()
        self.newlines: list[int] = []
        self.quote_spans: list[Span] = []
        self.quote_starts: list[int] = []
        self._sent_starts: list[int] | None = None
        self._learned: dict[str, str] | None = None
        for m in _CAPSEQ_RE.finditer(text):
            chunk: list[tuple[int, str]] = []
            for t in re.finditer(r"\S+", m.group()):
                if t.group().lower() in _BREAK:
                    if chunk:
                        self._add(chunk)
                    chunk = []
                else:
                    chunk.append((m.start() + t.start(), t.group()))
            if chunk:
                self._add(chunk)
        self.starts = [m.start for m in self.mentions]
        self.places: set[str] = set()
        self.titled_keys: set[str] = set()
        prev_m: _Mention | None = None
        for mt in self.mentions:
            # The word before the mention, by plain string ops (this runs per mention).
            j = mt.start - 1
            if j > 1 and text[j] == " ":
                k = text.rfind(" ", max(0, j - 20), j)
                word = text[k + 1 : j]
                if word in _ROLE_BEFORE:
                    # "striker Kofi Mensah": a role word before a name is a person cue, and
                    # what comes right before the role is an organisation ("Rovers manager").
                    mt.titled = True
                    if prev_m is not None and prev_m.end == k:
                        prev_m.org = True
                elif (
                    len(mt.tokens) == 1
                    and word in _PLACE_PREPS
                    and (word != "of" or text[max(0, k - 8) : k].split(" ")[-1] in _PLACE_OF)
                ):
                    self.places.add(mt.tokens[0])
            prev_m = mt
        self.person_keys: set[str] = set()
        for mt in self.mentions:
            key = mt.tokens[-1]
            if mt.titled:
                self.titled_keys.add(key)
            if (
                len(mt.tokens) >= 2
                and not mt.org
                and not any(w.lower() in _ORG_WORDS for w in mt.tokens)
            ):
                self.person_keys.add(key)
                self.person_keys.add(mt.tokens[0])
            self.counts[key] = self.counts.get(key, 0) + 1
            if len(mt.tokens) >= 2:
                forms = self.full.setdefault(key, {})
                forms[mt.tokens] = forms.get(mt.tokens, 0) + 1
                firsts = self.first_tok.setdefault(mt.tokens[0], {})
                firsts[mt.tokens] = firsts.get(mt.tokens, 0) + 1
            if mt.gender:
                self.gender.setdefault(" ".join(mt.tokens), mt.gender)
                self.gender.setdefault(key, mt.gender)

    def _add(self, raw: list[tuple[int, str]]) -> None:
        possessive = False
        # A possessive ends the name: "Kim’s sister".
        for idx, (_, tok) in enumerate(raw):
            if tok.endswith(("’s", "'s", "’", "'")) and len(tok) > 2:
                raw = raw[: idx + 1]
                possessive = True
                break
        toks: list[tuple[int, str]] = []
        titled = False
        gender = ""
        for off, tok in raw:
            base = tok
            if possessive and (off, tok) == raw[-1]:
                base = re.sub(r"(?:['’]s|['’])$", "", tok)
            low = base.lower().rstrip(".")
            if low in _TITLES and not (toks and len(toks) >= 2):
                titled = True
                if low in _FEMALE_TITLES:
                    gender = "f"
                elif low in _MALE_TITLES:
                    gender = "m"
                toks = []
                continue
            if not toks and low in _NONPERSON and low not in _PERSON_OK:
                continue
            if low in ("jr", "sr", "ii", "iii"):
                continue
            toks.append((off, base))
        while toks and toks[-1][1].lower().rstrip(".") in _NONPERSON:
            if len(toks) == 1:
                break
            toks.pop()
        if not toks:
            return
        if len(toks) > 4:
            return  # a headline or an organisation, not a person
        words = tuple(_clean_token(t) for _, t in toks)
        if all(w.lower().rstrip(".") in _NONPERSON for w in words):
            return
        if not gender:
            first = words[0].lower()
            if len(words) >= 2 and first in _FEMALE_NAMES:
                gender = "f"
            elif len(words) >= 2 and first in _MALE_NAMES:
                gender = "m"
        s = toks[0][0]
        e = toks[-1][0] + len(toks[-1][1])
        if e > s and self.text[e - 1] == "." and len(toks[-1][1]) > 2:
            e -= 1
        self.mentions.append(_Mention(s, e, words, possessive, titled, gender))

    def at(self, start: int, end: int) -> list[_Mention]:
        """Mentions starting inside [start, end)."""
        i = bisect.bisect_left(self.starts, start)
        out: list[_Mention] = []
        while i < len(self.mentions) and self.mentions[i].start < end:
            out.append(self.mentions[i])
            i += 1
        return out

    def ending_at(self, end: int) -> _Mention | None:
        i = bisect.bisect_right(self.starts, end) - 1
        while i >= 0 and self.mentions[i].start >= end - 200:
            m = self.mentions[i]
            if m.end == end or (m.end < end and self.text[m.end : end].strip() in ("", ".")):
                return m
            if m.end < end - 1:
                return None
            i -= 1
        return None

    def person_like(self, m: _Mention) -> bool:
        if m.org:
            return False
        key = m.tokens[-1]
        if m.titled or m.subject or key in self.speaker_keys:
            return True
        if all(w.isupper() and len(w) > 1 for w in m.tokens):
            return False
        if any(w.lower() in _ORG_WORDS for w in m.tokens):
            return False
        if len(m.tokens) >= 2:
            return not any(w.lower().rstrip(".") in _NONPERSON for w in m.tokens[1:])
        if key in self.places and key not in self.titled_keys and not self.gender.get(key):
            return False  # "the Port of Kessington", "in Brenmouth"
        return key in self.person_keys

    def canonical(self, tokens: tuple[str, ...], pos: int) -> str:
        """Fullest form of the name the article uses ("Trump" -> "Donald Trump")."""
        cached = self._canon.get(tokens)
        if cached is not None:
            return cached
        key = tokens[-1]
        best: tuple[str, ...] = tokens
        forms = self.full.get(key, {})
        freq = {t: c for t, c in forms.items() if _is_suffix(tokens, t)}
        if not freq and len(tokens) == 1:
            firsts = self.first_tok.get(key, {})
            freq = {
                t: c
                for t, c in firsts.items()
                if "-" in "".join(t[1:]) and not self._relative_of(key, t)
            }
        if freq:
            best = max(freq, key=lambda c: (len(c) > len(tokens), freq[c], len(c)))
            if len(best) < len(tokens):
                best = tokens
        name = " ".join(best)
        self._canon[tokens] = name
        return name

    def _relative_of(self, key: str, full: tuple[str, ...]) -> bool:
        """ "Kim’s sister, Kim Yo-jong": the bare "Kim" is someone else, not her."""
        pattern = rf"\b{re.escape(key)}['’]s\b[^.]{{0,40}}?\b{re.escape(' '.join(full))}\b"
        return re.search(pattern, self.text) is not None

    def gender_of(self, name: str) -> str:
        g = self.gender.get(name, "")
        if g:
            return g
        first = name.split()[0].lower()
        if " " in name and first in _FEMALE_NAMES:
            return "f"
        if " " in name and first in _MALE_NAMES:
            return "m"
        g = self.gender.get(name.split()[-1], "")
        if g:
            return g
        return self._learned_genders().get(name, "")

    # -- sentences, quoted stretches and pronouns (computed lazily, once per article)

    def _sentences(self) -> list[int]:
        if self._sent_starts is None:
            text = self.text
            out = [0]
            for m in _SENT_END_RE.finditer(text):
                if m.group(1) == "." and _is_abbrev(text, m.start()):
                    continue
                out.append(m.end())
            out.extend(i + 1 for i in self.newlines)
            out.sort()
            self._sent_starts = out
        return self._sent_starts

    def _sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self._sentences(), pos) - 1

    def quoted(self, pos: int) -> bool:
        i = bisect.bisect_right(self.quote_starts, pos) - 1
        return i >= 0 and pos < self.quote_spans[i][1]

    def _subject_position(self, m: _Mention) -> bool:
        """At the start of its sentence, or after a leading phrase (`At the shop, Tom said`)."""
        if _starts_sentence(self.text, m.start):
            return True
        ss = self._sentences()[self._sentence_of(m.start)]
        lead = self.text[ss : m.start].rstrip()
        if not lead.endswith(",") or len(lead) > 200:
            return False
        fw = lead.split(" ", 1)[0].strip("\"“‘'(").lower()
        return fw in _INTRO_WORDS

    def _candidate(self, pos: int, want: str, *, learn: bool = False) -> str | None:
        """Hobbs-style antecedent of a pronoun at pos.

        In the pronoun's own sentence only a subject before it counts ("Kim said … and
        she added"); otherwise the nearest earlier sentence with a fitting person wins,
        and within it the leftmost person (the subject usually comes first).
        """
        own = self._sentence_of(pos)
        lo = max(0, pos - 2500)
        i = bisect.bisect_left(self.starts, pos) - 1
        best: str | None = None
        best_sent = -1
        poss: str | None = None
        poss_sent = -1
        while i >= 0 and self.mentions[i].start >= lo:
            m = self.mentions[i]
            i -= 1
            sent = self._sentence_of(m.start)
            if best is not None and sent != best_sent:
                break
            if poss is not None and best is None and sent != poss_sent:
                return poss
            if learn and own - sent > 1:
                break
            if sent == own and not (not m.possessive and self._subject_position(m)):
                continue
            if self.quoted(m.start) or not self.person_like(m):
                continue
            name = self.canonical(m.tokens, m.start)
            if want:
                g = self.gender_of(name)
                if g and g != want:
                    continue
            if m.possessive:
                if poss is None or poss_sent == sent:
                    poss, poss_sent = name, sent
                continue
            best, best_sent = name, sent
            if sent == own:
                break
        if best is None and poss is not None:
            return poss
        return best

    def _learned_genders(self) -> dict[str, str]:
        """Gender learned from he/she pronouns that refer back to a name in the text."""
        if self._learned is None:
            self._learned = {}
            votes: dict[str, list[int]] = {}
            for pm in _GENDER_PRON_RE.finditer(self.text):
                if self.quoted(pm.start()):
                    continue
                name = self._candidate(pm.start(), "", learn=True)
                if name is None:
                    continue
                v = votes.setdefault(name, [0, 0])
                v[0 if pm.group().lower() == "he" else 1] += 1
            for name, (he, she) in votes.items():
                if he >= 2 * she and he:
                    self._learned[name] = "m"
                elif she >= 2 * he and she:
                    self._learned[name] = "f"
        return self._learned

    def antecedent(self, pos: int, pronoun: str, speakers: list[tuple[int, str]]) -> str | None:
        """The person a he/she attribution refers to; the latest fitting speaker if none."""
        want = "m" if pronoun == "he" else "f" if pronoun == "she" else ""
        name = self._candidate(pos, want)
        if name is not None:
            return name
        for p, name in reversed(speakers):
            if p < pos:
                g = self.gender_of(name)
                if not (want and g and g != want):
                    return name
        return None


_GENDER_PRON_RE = re.compile(r"(?<![\w’'-])(?:[Hh]e|[Ss]he)(?![\w’'-])")
_INTRO_WORDS = _w(
    "at in on for after before during with without from since when while as although though "
    "despite outside inside back speaking standing asked like unlike amid by under over across "
    "earlier later last this next on from near behind beside among within"
)
# Words that make a capitalised sequence an organisation, team or place, not a person.
_ORG_WORDS = _w(
    "rovers wanderers athletic albion fc united port authority chamber federation league "
    "cup securities insight biologics semiconductor holdings partners capital group "
    "service services council committee union association institute foundation ministry "
    "agency company corporation bank hospital airport station stadium street road avenue "
    "square bridge river lane park centre center gate terminal district province region"
)
_PLACE_PREPS = _w("in at near outside throughout across of")
_PLACE_OF = _w("Port City Republic Province County Isle Gulf Bay Lake Mount")


_PERSON_OK = frozenset(["will", "may"])
_BREAK = frozenset(
    _wl(
        "with another of and the to for in on at by from as is are was were be a an or but "
        "after before over under about into against amid says said than that this"
    )
)


def _is_suffix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return len(short) <= len(long) and long[len(long) - len(short) :] == short


def _starts_sentence(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t\"“‘'(":
        j -= 1
    return j < 0 or text[j] in "\n.!?:;"


# --------------------------------------------------------------------------- attribution


@dataclass(slots=True)
class _Attr:
    span: Span
    kind: str  # "name", "pron", "np"
    cue: str
    mention: _Mention | None = None


def _cue_text(text: str, m: re.Match[str]) -> tuple[str, int]:
    """The cue, extended by a plain object ("told reporters")."""
    word = m.group().lower()
    end = m.end()
    if word in ("told", "tells", "tell", "telling", "asked", "asks"):
        om = re.match(r"\s+((?:the\s+)?[a-z]+)\b", text[end : end + 30])
        if om and om.group(1) in _CUE_OBJECTS:
            return f"{m.group()} {om.group(1)}", end + om.end()
    return m.group(), end


def _sentence_start(text: str, lo: int, hi: int) -> int:
    """Start of the sentence containing hi, not before lo."""
    seg = text[lo:hi]
    best = lo
    for m in _SENT_END_RE.finditer(seg):
        if m.group(1) == "." and _is_abbrev(seg, m.start()):
            continue
        best = lo + m.end()
    while best < hi and text[best] in " \t":
        best += 1
    return best


def _sentence_end(text: str, lo: int, hi: int) -> int:
    seg = text[lo:hi]
    for m in _SENT_END_RE.finditer(seg):
        if m.group(1) == "." and _is_abbrev(seg, m.start()):
            continue
        return lo + m.start() + 1
    return hi


def _is_abbrev(seg: str, dot: int) -> bool:
    j = dot
    while j > 0 and (seg[j - 1].isalpha() or seg[j - 1] == "."):
        j -= 1
    word = seg[j:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


_NP_AFTER_RE = re.compile(
    r"\s*(?:(?P<pron>he|she|they|it|I|we)\b|(?P<det>(?:the|a|an|his|her|their|its|one|another)"
    r"\s+[^,.;:!?\"“”\n]{1,80}))",
)


def _speaker_after_cue(
    text: str, pos: int, hi: int, names: _Names
) -> tuple[Span, str, _Mention | None] | None:
    """`said Trump`, `said the senator`, `says he`."""
    m = _NP_AFTER_RE.match(text, pos, hi)
    ms = names.at(pos, min(hi, pos + 40))
    if ms and text[pos : ms[0].start].strip(" ,") == "" and not ms[0].possessive:
        return (ms[0].start, ms[0].end), "name", ms[0]
    if ms:
        lead = text[pos : ms[0].start]
        if "," not in lead and all(
            w.lower().rstrip(".") in _TITLES or w.lower() in _TITLE_WORDS_PLUS for w in lead.split()
        ):
            first = next((mt for mt in ms if not mt.possessive), None)
            if first is not None and "," not in text[pos : first.start]:
                return (first.start, first.end), "name", first
    if m is None:
        return None
    if m.group("pron"):
        return (m.start("pron"), m.end("pron")), "pron", None
    np_end = m.end("det")
    # A name inside the NP ("the campaign's spokesman John Doe") wins.
    for mt in names.at(m.start("det"), np_end):
        if not mt.possessive:
            return (mt.start, mt.end), "name", mt
    return (m.start("det"), np_end), "np", None


_TITLE_WORDS_PLUS = frozenset({"", "former", "the", "republican", "democratic"})


def _speaker_in_front(
    text: str, lo: int, cue_start: int, names: _Names
) -> tuple[Span, str, _Mention | None] | None:
    """The subject ending right before the cue (`Trump said`, `Kim, the leader, said`)."""
    j = cue_start
    seg_words = list(_WORD_RE.finditer(text, lo, cue_start))
    # Skip adverbs and auxiliaries between subject and cue.
    while seg_words and seg_words[-1].group().lower() in _ADVERBS:
        j = seg_words[-1].start()
        seg_words.pop()
    if seg_words and seg_words[-1].group().lower() in ("and", "but", "then", "or", "who"):
        return None  # "X shook her head and said": the sentence subject speaks
    end = j
    while end > lo and text[end - 1] in " \t":
        end -= 1
    if end <= lo:
        return None
    if text[end - 1] == ",":
        # Appositive: find the name before the previous comma.
        k = text.rfind(",", max(lo, end - 200), end - 1)
        if k > lo:
            r = _subject_ending(text, lo, k, names)
            if r is not None:
                return r
        # "Peter Hart, 25, a bank employee, said": the first name in the clause.
        for mt in names.at(lo, end):
            if not mt.possessive and names.person_like(mt):
                return (mt.start, mt.end), "name", mt
        return None
    return _subject_ending(text, lo, end, names)


def _subject_ending(
    text: str, lo: int, end: int, names: _Names
) -> tuple[Span, str, _Mention | None] | None:
    mt = names.ending_at(end)
    if mt is not None and mt.start >= lo and not mt.possessive:
        return (mt.start, mt.end), "name", mt
    pm = re.search(r"(?<![\w’'-])(he|she|they|it|I|we)\s*$", text[max(lo, end - 6) : end], re.I)
    if pm:
        s = max(lo, end - 6) + pm.start(1)
        return (s, s + len(pm.group(1))), "pron", None
    # Nominal subject: walk back over lowercase words to a determiner.
    words = list(_WORD_RE.finditer(text, max(lo, end - 90), end))
    for back in range(1, min(len(words), 8) + 1):
        w = words[-back]
        low = w.group().lower()
        if low in _CUE_SET and back > 1:
            break
        if low in _DETERMINERS:
            # Prefer a name inside ("the Clinton campaign" stays nominal).
            return (w.start(), end), "np", None
    return None


def _first_subject(
    text: str, lo: int, hi: int, names: _Names
) -> tuple[Span, str, _Mention | None] | None:
    """Main-clause subject for participle cues (`X mocked ..., insisting that`)."""
    pm = re.match(r"\s*(?:\w+\s+){0,6}?(he|she|they|I|we)\b", text[lo:hi], re.I)
    for mt in names.at(lo, hi):
        if pm and lo + pm.start(1) < mt.start:
            break
        if mt.possessive:
            continue
        if names.person_like(mt) or _starts_sentence(text, mt.start):
            return (mt.start, mt.end), "name", mt
    if pm:
        s = lo + pm.start(1)
        return (s, s + len(pm.group(1))), "pron", None
    return None


def _post_attribution(text: str, lo: int, hi: int, names: _Names, limit: int = 160) -> _Attr | None:
    """Attribution after the quote, within its sentence."""
    end = _sentence_end(text, lo, hi)
    window = text[lo:end]
    stripped = window.lstrip(" \t,—–-")
    if not stripped:
        return None
    off = lo + len(window) - len(stripped)
    for cm in _cues(text, off, end):
        if cm.start() - off > limit:
            break
        word = cm.group().lower()
        cue, cue_end = _cue_text(text, cm)
        between = text[off : cm.start()]
        if between.strip() == "":
            if word in _WEAK_CUES and word != "according to":
                return None
            r = _speaker_after_cue(text, cue_end, end, names)
            if r is None:
                return None
            return _Attr(r[0], r[1], cue, r[2])
        if word == "according to":
            r = _speaker_after_cue(text, cue_end, end, names)
            if r is None:
                return None
            return _Attr(r[0], r[1], cue, r[2])
        if any(q in between for q in '"“”'):
            return None
        first = between.lstrip()
        pm = re.match(r"(he|she|they|it|I|we)\b", first, re.I)
        if pm and (pm.group(1) != "I" or first[:1] == "I"):
            s = off + (len(between) - len(first))
            return _Attr((s, s + len(pm.group(1))), "pron", cue)
        ms = [mt for mt in names.at(off, cm.start()) if not mt.possessive]
        fw = first.split(" ", 1)[0].lower() if first else ""
        if fw in _DETERMINERS:
            s = off + (len(between) - len(first))
            ap = [mt for mt in ms if text[s : mt.start].rstrip().endswith(",")]
            if ap:
                return _Attr((ap[0].start, ap[0].end), "name", cue, ap[0])
            e = s + len(first.split(",")[0].rstrip())
            return _Attr((s, e), "np", cue)
        if ms and ms[0].start - off < 60:
            return _Attr((ms[0].start, ms[0].end), "name", cue, ms[0])
        if first[:1].isupper():
            # A capitalised subject we did not read as a name ("White House officials").
            e = off + len(between) - len(first) + len(first.split(",")[0].rstrip())
            s = off + len(between) - len(first)
            return _Attr((s, e), "np", cue)
        return None
    return None


def _colon_attribution(text: str, start: int, hi: int, names: _Names) -> _Attr | None:
    """`Darrell Scott: ‘…’`, `Hoff’s letter makes the case: “…”`: the sentence subject."""
    if not text[start:hi].rstrip().endswith(":") or hi - start > 300:
        return None
    r = _first_subject(text, start, hi, names)
    if r is not None and r[0][0] - start < 40:
        return _Attr(r[0], r[1], "", r[2])
    words = list(_WORD_RE.finditer(text, start, min(hi, start + 60)))[:4]
    if not words:
        return None
    return _Attr((words[0].start(), words[-1].end()), "np", "")


def _pre_attribution(text: str, lo: int, hi: int, names: _Names) -> _Attr | None:
    """Attribution before the quote, in the same sentence (`Trump said: “…”`)."""
    start = _sentence_start(text, lo, hi)
    last: re.Match[str] | None = None
    for cm in _cues(text, start, hi):
        last = cm
    if last is None:
        return _colon_attribution(text, start, hi, names)
    cue, cue_end = _cue_text(text, last)
    gap = text[cue_end:hi]
    if len(gap) > 90 or any(q in gap for q in '"“”'):
        return _colon_attribution(text, start, hi, names)
    word = last.group().lower()
    if word == "according to":
        r = _speaker_after_cue(text, cue_end, hi, names)
        return _Attr(r[0], r[1], cue, r[2]) if r else None
    if text[start : last.start()].strip() == "":
        r = _speaker_after_cue(text, cue_end, hi, names)
        return _Attr(r[0], r[1], cue, r[2]) if r else None
    r = None
    cue_at = last.start()
    if word.endswith("ing"):
        # "Nefzi said, adding, “…”": the participle shares the finite cue's subject.
        for cm in _cues(text, start, cue_at):
            if not cm.group().lower().endswith("ing"):
                cue_at = cm.start()
    cue_word = _CUE_SCAN_RE.match(text, cue_at)
    if cue_word is None or not cue_word.group().lower().endswith("ing"):
        r = _speaker_in_front(text, start, cue_at, names)
    if r is None:
        r = _first_subject(text, start, cue_at, names)
    if r is None:
        return None
    return _Attr(r[0], r[1], cue, r[2])


# --------------------------------------------------------------------------- assembly


def _para_bounds(nl: list[int], text: str, pos: int) -> tuple[int, int]:
    """Paragraph around pos; newline offsets are indexed once so huge paragraphs stay linear."""
    i = bisect.bisect_left(nl, pos)
    s = nl[i - 1] + 1 if i > 0 else 0
    e = nl[i] if i < len(nl) else len(text)
    return s, e


def _inner_text(text: str, parts: list[Span]) -> str:
    return " ".join(text[s:e].strip() for s, e in parts)


def _trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",:;"):
        e -= 1
    return s, e


def _merge_interrupted(text: str, regions: list[_Region]) -> list[_Region]:
    """“A,” Trump said. “B.” is one quote: join parts around a short attribution."""
    out: list[_Region] = []
    for r in regions:
        if out:
            p = out[-1]
            gap = text[p.close_pos : r.open_pos]
            last_inner = text[p.parts[-1][0] : p.parts[-1][1]].rstrip()
            if (
                p.kind == r.kind
                and "\n" not in gap
                and 3 < len(gap) <= 120
                and last_inner[-1:] in (",", "—", "-", "…")
                and _first_cue(gap) is not None
                and gap.rstrip()[-1:] in ",.:;—"
                and not _cue_at(text, r.close_pos)
                and not _has_own_attribution(text, r.close_pos)
            ):
                p.parts.extend(r.parts)
                p.close_pos = r.close_pos
                continue
        out.append(r)
    return out


def _has_own_attribution(text: str, pos: int) -> bool:
    seg = text[pos : pos + 40]
    cm = _first_cue(seg)
    if cm is None:
        return False
    before = seg[: cm.start()]
    return len(before.split()) <= 3 and "." not in before and "\n" not in before


_MARK_CHARS = "\"“”'‘’"
_FULL_START = ",:;—–-(\n"


def _is_partial(text: str, r: _Region, para_start: int) -> bool:
    s, e = r.parts[0]
    inner = text[s:e].strip()
    if not inner:
        return True
    whole = _inner_text(text, r.parts)
    nwords = len(whole.split())
    before = text[max(para_start, r.open_pos - 300) : r.open_pos].rstrip()
    prev = before[-1:] if before else ""
    first = inner[0]
    terminal = re.search(r"[.!?,…—-][\"”’']?\s*$", whole) is not None or bool(
        re.search(r"[.!?]\s+[A-Z]", whole)
    )
    if nwords <= 3 and not terminal:
        return True
    clause_start = prev == "" or prev in _FULL_START or prev in '.!?"”’'
    if not clause_start:
        lw = re.search(r"([\w’']+)\s*$", before)
        if lw and lw.group(1).lower() in _CUE_SET and lw.group(1).lower() != "that":
            clause_start = True
    starts_ok = first.isupper() or first.isdigit() or first in "….‘“'\"[(" or inner.startswith("I ")
    if not (clause_start and starts_ok):
        return True
    # A quoted title or phrase running into the sentence: “The Apprentice” star.
    if not terminal:
        after = text[r.close_pos : r.close_pos + 30]
        am = re.match(r"\s*([\w’']+)", after)
        word = am.group(1).lower() if am else ""
        if (
            am
            and am.group(1)[0].islower()
            and word not in _CUE_SET
            and word not in _PRONOUNS
            and word not in _DETERMINERS
        ):
            return True
    return False


_SMALL_WORDS = _w("a an the of and or nor but to for in on at by from with as vs v. is are de la")
_WORK_NOUN_RE = re.compile(
    r"(?<![\w’'-])(?:book|memoir|autobiography|biography|novel|film|movie|show|series|program|"
    r"programme|podcast|documentary|play|musical|album|song|column|op-ed|essay|ad|spot|"
    r"thriller|drama|comedy|sitcom|manifesto|exhibition|installation|opera|poem|painting|"
    r"titled|entitled|dubbed|slogan|headline|headlined|hashtag|called|named|nicknamed|told|on)"
    r"[ \t]*,?[ \t]*$",
    re.IGNORECASE,
)
_CONTINUATION = _w(
    "that which who whom whose since because like as before after in while when with for to "
    "if unless until than though although whereas from on into about over"
)
_NAMING_WORDS = ("titled", "entitled", "dubbed", "headlined")


def _words_of(text: str, parts: list[Span]) -> list[str]:
    return [w for s, e in parts for w in text[s:e].split()]


def _title_case(text: str, r: _Region, *, titles: bool = False) -> bool:
    """A short phrase in Title Case (names of books, films, shows, slogans).

    With `titles` (a noun such as "film" comes right before), one capitalised word
    ending in a full stop counts too: the film “Trainwreck.”
    """
    words = _words_of(text, r.parts)
    if not words or len(words) > 8 or len(r.parts) > 1:
        return False
    letters = [w.strip(".,!?:;—–-…()’'\"“”‘") for w in words]
    letters = [w for w in letters if w and w[0].isalpha()]
    if not letters or not letters[0][0].isupper():
        return False
    if len(letters) == 1:
        # One capitalised word: a title only if it is not a sentence ("Yes.", "Absolutely!").
        w = letters[0]
        tail = text[r.parts[0][0] : r.parts[0][1]].rstrip()[-1:]
        return (
            w.lower() not in _CUE_SET
            and (tail not in ".!?…" or (titles and tail == "."))
            and len(w) > 3
            and not (w.lower() in _NONPERSON or w.lower() in _ADVERBS)
        )
    caps = sum(1 for w in letters if w[0].isupper() or w[0].isdigit())
    small = sum(1 for w in letters if w.lower() in _SMALL_WORDS)
    return caps + small >= len(letters) and caps >= 2 and caps > small


def _not_speech(
    text: str, r: _Region, ps: int, pe: int, headline: bool, double_style: bool
) -> bool:
    """Quote marks that hold no speech: headlines, subheads, titles of works."""
    e = r.parts[-1][1]
    inner = _inner_text(text, r.parts)
    para = text[ps:pe].strip()
    alone = text[ps : r.open_pos].strip() == "" and text[r.close_pos : pe].strip(" .") == ""
    letters = [c for c in inner if c.isalpha()]
    if (alone or headline) and len(letters) >= 8 and all(c.isupper() for c in letters):
        return True  # “DIVISIVE, STUPID AND WRONG” alone: a shouted headline or subhead
    if headline and len(para) <= 250:
        # A fragment quoted inside the article's title line ("Calls Remarks ‘Troubling.’"),
        # but not a title that attributes a whole quote ("Kasich: ‘We Are Going …’").
        before = text[ps : r.open_pos].rstrip()
        rest = text[r.close_pos : pe].strip(" .;:,")
        outside = (before + " " + text[r.close_pos : pe]).split()
        long = [w for w in outside if len(w.strip(".,:;—–-’'\"“”‘")) >= 4]
        caps = sum(1 for w in long if w.strip("\"“‘'(")[:1].isupper())
        attributed = before.endswith((":", "—", "–", "-")) and (rest == "" or rest[:1] in "‘“'\"")
        if not attributed and len(long) >= 2 and caps >= 0.6 * len(long):
            return True
    if r.kind == "s" and double_style and alone and len(inner.split()) <= 12:
        return True  # ‘A healthy environment.’ alone between paragraphs: a subhead
    if len(inner.split()) <= 12:
        wm = _WORK_NOUN_RE.search(text, max(ps, r.open_pos - 40), r.open_pos)
        if wm and (
            wm.group().lower().startswith(_NAMING_WORDS) or _title_case(text, r, titles=True)
        ):
            # his new book, ''Doomed to Succeed,''; an ad titled “Scam.”; told “Fox and Friends”
            return True
    after = text[r.close_pos : min(pe, r.close_pos + 60)]
    if re.match(r"[ \t]*\((?:[^()]{0,40}\b)?(?:1[89]|20)\d\d\)", after):
        return True  # “Yes to minaret ban” (2009): a dated slogan, poster or title
    if re.match(r"[ \t]*,?[ \t]*by[ \t]+(?:the[ \t]+)?[A-Z]", after):
        return True  # "Met accused of whitewashing baby Jesus," by Post's Kathianne Boniello
    am = re.match(r"[ \t]*([a-z]+)(?:[ \t]+([A-Za-z]+))?", after)
    # "…seems extremely unlikely" that Sanders can catch Clinton: the sentence runs on.
    return bool(
        am
        and len(r.parts) == 1
        and am.group(1) in _CONTINUATION
        and text[e - 1 : e] not in ".!?…,;:—-"
        and (am.group(2) or "").lower() not in _CUE_SET
    )


def extract_quotes(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[Quote]:
    """Every direct quote in `text`, in text order, with speakers; spans in `skip` are ignored."""
    if not text:
        return []
    work = text
    if skip:
        chars = list(text)
        for s, e in skip:
            for i in range(max(0, s), min(len(text), e)):
                if chars[i] != "\n":
                    chars[i] = " "
        work = "".join(chars)
    if not any(c in work for c in "\"“”‘’'"):
        return []
    regions = _merge_interrupted(work, _find_regions(work))
    if not regions:
        return []
    names = _Names(work)
    nl = [m.start() for m in re.finditer("\n", work)]
    names.newlines = nl
    names.quote_spans = [(r.open_pos, r.close_pos) for r in regions]
    names.quote_starts = [r.open_pos for r in regions]
    speakers: list[tuple[int, str]] = []
    prev: _Region | None = None
    prev_para = -1
    lead = _first_nonspace(work, 0)
    while lead < len(work) and work[lead] in "\r\n \t":
        lead += 1
    first_para = (lead, work.find("\n", lead) if "\n" in work[lead:] else len(work))
    doubles = any(r.kind == "d" for r in regions)
    for idx, r in enumerate(regions):
        ps, pe = _para_bounds(nl, work, r.open_pos)
        r.partial = _is_partial(work, r, ps) or _not_speech(
            work, r, ps, pe, ps == first_para[0] and pe < len(work), doubles
        )
        nxt_open = regions[idx + 1].open_pos if idx + 1 < len(regions) else len(work)
        # Attribution inside an interrupted quote comes first.
        attr: _Attr | None = None
        if len(r.parts) > 1:
            gap_lo = r.parts[0][1]
            while gap_lo < len(work) and work[gap_lo] in _MARK_CHARS:
                gap_lo += 1
            gap_hi = r.parts[1][0]
            while gap_hi > gap_lo and work[gap_hi - 1] in _MARK_CHARS:
                gap_hi -= 1
            if work.find("\n", gap_lo, gap_hi) < 0:
                attr = _post_attribution(work, gap_lo, gap_hi, names)
        if attr is None:
            _, close_pe = _para_bounds(nl, work, r.close_pos - 1)
            ended = work[r.parts[-1][0] : r.parts[-1][1]].rstrip()[-1:] in (".", "!", "?", "…")
            attr = _post_attribution(
                work,
                r.close_pos,
                min(close_pe, nxt_open, r.close_pos + 250),
                names,
                limit=60 if ended else 160,
            )
        if attr is None:
            lo = max(ps, prev.close_pos if prev is not None else 0, r.open_pos - 400)
            attr = _pre_attribution(work, lo, r.open_pos, names)
            if attr is None and r.open_pos == _first_nonspace(work, ps):
                # "He added:" closing the previous paragraph.
                pps, _ = _para_bounds(nl, work, max(0, ps - 2))
                pps = max(pps, ps - 400)
                tail = work[pps:ps].rstrip()
                if tail.endswith(":") and ps > 1:
                    lo2 = max(pps, prev.close_pos if prev is not None else 0)
                    attr = _pre_attribution(work, lo2, pps + len(tail), names)
        if attr is not None:
            r.speaker_span = attr.span
            r.cue = attr.cue
            if attr.span[0] >= r.close_pos:
                _, close_pe = _para_bounds(nl, work, r.close_pos - 1)
                send = _sentence_end(work, r.close_pos, close_pe)
                cue_at = work.find(attr.cue, r.close_pos, send) if attr.cue else -1
                tail_from = max(attr.span[1], cue_at + len(attr.cue) if cue_at >= 0 else 0)
                rest = work[tail_from:send]
                # ", who has run a bakery since 2008" describes the speaker, not the scene.
                if not _APPOSITIVE_RE.match(rest):
                    r.trail = len(rest.strip())
            r.speaker = _resolve(work, attr, names, speakers)
            if attr.mention is not None:
                attr.mention.subject = True
                names.speaker_keys.add(attr.mention.tokens[-1])
        elif (
            prev is not None
            and prev.speaker_span is not None
            and prev_para == ps
            and _sentence_end(work, prev.close_pos, r.open_pos) == r.open_pos
        ):
            # A later quote in the same sentence ("praised X as “a” and said “b”").
            r.speaker = prev.speaker
            r.speaker_span = prev.speaker_span
            r.cue = prev.cue
        elif prev is not None and prev.speaker_span is not None and prev_para >= 0:
            # A bare quote right after an attributed one continues it.
            gap = work[prev.close_pos : r.open_pos]
            bare = (
                r.open_pos == _first_nonspace(work, ps)
                and prev_para == _para_bounds(nl, work, max(0, ps - 1))[0]
            )
            # The previous paragraph may end with the attribution ("…,” she said.).
            if bare and "\n" in gap and len(gap.strip()) < 60 and _first_cue(gap):
                gap = ""
            if gap.count("\n") <= 2 and len(gap.strip()) < 3 and not r.partial:
                r.speaker = prev.speaker
                r.speaker_span = prev.speaker_span
                r.cue = prev.cue
                r.inherited = True
        if r.speaker_span is None:
            _dash_attribution(work, r, names)
        if (r.speaker_span is None or r.inherited) and not r.partial and _title_case(work, r):
            # “Cruel Intentions,” on TNT: an unattributed title-case phrase names a work.
            r.partial = True
            if r.inherited:
                r.speaker = r.speaker_span = r.cue = None
                r.inherited = False
        if r.speaker:
            speakers.append((r.open_pos, r.speaker))
        prev = r
        prev_para = ps
    return _score(text, regions, names)


_APPOSITIVE_RE = re.compile(r"\s*,\s*(?:who|whose|the|a|an|his|her|their|its)\b", re.I)
_DASH_RE = re.compile(r"[ \t]*(?:\n\s*)?(?:[-—–―]+|\n\s*-)\s*")


def _dash_attribution(text: str, r: _Region, names: _Names) -> None:
    """A quote followed by a paragraph "- Sanders." or "—Michelle Marks, Philadelphia."."""
    m = _DASH_RE.match(text, r.close_pos)
    if m is None:
        return
    ms = names.at(m.end(), m.end() + 40)
    if ms and ms[0].start - m.end() < 25:
        mt = ms[0]
        r.speaker_span = (mt.start, mt.end)
        r.speaker = names.canonical(mt.tokens, mt.start)


def _first_nonspace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _resolve(text: str, attr: _Attr, names: _Names, speakers: list[tuple[int, str]]) -> str | None:
    if attr.kind == "name" and attr.mention is not None:
        return names.canonical(attr.mention.tokens, attr.mention.start)
    if attr.kind == "pron":
        p = text[attr.span[0] : attr.span[1]].lower()
        if p in _PERSON_PRONOUNS:
            return names.antecedent(attr.span[0], p, speakers)
    return None


def _score(text: str, regions: list[_Region], names: _Names) -> list[Quote]:
    n = max(1, len(text))
    top = max(names.counts.values(), default=1)
    out: list[Quote] = []
    for r in regions:
        s = r.parts[0][0]
        e = r.parts[-1][1]
        s, e = _trim(text, s, e)
        if e <= s:
            continue
        if len(r.parts) == 1:
            body = text[s:e]
        else:
            pieces = [text[slice(*_trim(text, a, b))] for a, b in r.parts]
            pieces[-1] = text[_trim(text, *r.parts[-1])[0] : e]
            body = pieces[0]
            for k in range(1, len(pieces)):
                # Paragraph continuations read on; an interruption is marked with an ellipsis.
                gap = text[r.parts[k - 1][1] : r.parts[k][0]]
                body += (" " if "\n" in gap else " … ") + pieces[k]
        words = len(body.split())
        score = 0.0
        if not r.partial:
            if r.speaker:
                score += 3.0
                key = r.speaker.split()[-1]
                score += 1.5 * names.counts.get(key, 0) / top
            elif r.speaker_span:
                score += 1.0
            if 5 <= words <= 40:
                score += 2.0
            elif words == 4 or 40 < words <= 70:
                score += 1.0
            elif words > 120:
                score -= 1.0
            score += 1.0 - s / n
            if r.inherited:
                score -= 0.3
            if body.endswith("?"):
                score -= 0.6  # a question rarely carries the news; a statement does
            if r.trail > 40:
                # "…,” Trump asked with a grin, stressing that …: the quote is embedded in
                # narration; a quote whose sentence is just the attribution stands alone.
                score -= min(0.5, (r.trail - 40) / 100)
        out.append(
            Quote(
                text=body,
                speaker=r.speaker,
                cue=r.cue,
                partial=r.partial,
                span=(s, e),
                speaker_span=r.speaker_span,
                score=round(score, 4),
            )
        )
    return out


def key_quotes(quotes: Sequence[Quote], n: int = 3) -> list[Quote]:
    """The n best non-partial quotes, best first (what an editor would pick)."""
    seen: set[str] = set()
    out: list[Quote] = []
    for q in sorted((q for q in quotes if not q.partial), key=lambda q: (-q.score, q.span[0])):
        k = q.text.lower()
        if k in seen:
            continue
        seen.add(k)
        out.append(q)
        if len(out) >= n:
            break
    return out
