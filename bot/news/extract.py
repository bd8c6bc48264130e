"""The article in a web page: main text and metadata via trafilatura, then our checks.

trafilatura does the hard part (finding the main text among menus, sidebars
and comments; it scores best on its own benchmark with the default
"standard" settings, which we keep). On top of it we:

* drop furniture lines it lets through (photo credits, "Most Popular",
  share lines) with :func:`bot.nlp.text.clean.clean`, measured on the benchmark
  in ``bench/extraction.py``;
* refuse pages that are not an article (error pages, cookie walls, paywall
  stubs, "enable JavaScript" shells, a few words) rather than summarise them;
* fall back to the feed item's own text when the page yields nothing usable.

Nothing here touches the network: the caller passes the HTML it fetched.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import metadata as tmeta
from trafilatura.settings import Document

from bot.models import ArticleStatus
from bot.nlp.text.clean import MAX_TEXT_CHARS, clean, is_furniture
from bot.nlp.text.safe import clean_line, clean_text

# trafilatura logs ERROR lines ("empty HTML tree", "parsed tree length: 0") for any
# page it cannot parse, plain text included; the reason is ours to report, in
# Extracted.reason, so its own lines stay out of the user's terminal.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

Source = Literal["page", "feed"]

MIN_WORDS = 30
"""Fewer words than this is not an article we can summarise (a photo caption,
a teaser, a two-line joke). News briefs run 40+ words. On the benchmark, the
pages under 30 words are extraction misses (only a caption was found) or
micro-posts; 30 rather than 40 keeps a 34-word blog teaser that is annotated
as real text."""

_STUB_WORDS = 250
"""Error, cookie, paywall and JavaScript notices are only verdicts on a page
whose text is short: a long article may mention "subscribe" or "404" freely."""

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """An article's text and metadata, or why the page has none. Every text is safe to
    show (:mod:`bot.nlp.text.safe`): the page's own escapes and controls are gone."""

    status: ArticleStatus
    reason: str | None = None  # why there is no article; for a feed fallback, why not the page
    title: str | None = None
    text: str = ""  # body paragraphs separated by blank lines, without the title
    author: str | None = None
    published: datetime | None = None  # aware, UTC
    site: str | None = None
    source: Source | None = None  # where ``text`` came from; None when there is no article

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# -- detectors for pages that are not an article -------------------------------------

_NOT_FOUND = re.compile(
    r"\b(?:404|410)\b.{0,40}\b(?:not\s+found|error|page)\b|\bpage\s+(?:was\s+)?not\s+found\b"
    r"|\b(?:page|article|content)\s+(?:you\s+(?:are\s+looking\s+for|requested)\s+)?"
    r"(?:does\s+not|doesn['’]t|could\s+not|cannot|can['’]t|no\s+longer)\s+(?:be\s+found|exists?)\b"
    r"|\bseite\s+(?:wurde\s+)?nicht\s+gefunden\b|\bpage\s+introuvable\b"
    r"|\bp[aá]gina\s+no\s+encontrada\b|\bfehler\s+404\b|\berreur\s+404\b",
    re.IGNORECASE | re.DOTALL,
)
_COOKIE = re.compile(
    r"\bcookies?\b|\bconsent\b|\b(?:accept|reject)\s+all\b|\bprivacy\s+(?:settings|preferences)\b"
    r"|\bmanage\s+(?:your\s+)?(?:preferences|choices|settings)\b|\bour\s+partners\b"
    r"|\bdatenschutz(?:einstellungen|erklärung)?\b|\beinwilligung\b|\bzustimm",
    re.IGNORECASE,
)
_PAYWALL = re.compile(
    r"\bsubscribe\s+(?:now\s+)?to\s+(?:continue|keep)\s+reading\b"
    r"|\b(?:to\s+)?(?:continue|keep)\s+reading,?\s+(?:please\s+)?(?:subscribe|log\s*in|sign\s*in|register)\b"
    r"|\b(?:this|the\s+full)\s+(?:article|story|content)\s+is\s+(?:only\s+)?"
    r"(?:available|reserved|exclusive)\s+(?:to|for)\s+(?:subscribers|members)\b"
    r"|\balready\s+a\s+(?:subscriber|member)\b|\bsubscribers?\s+only\b"
    r"|\byou(?:['’]ve|\s+have)\s+(?:reached|used)\s+(?:your|all\s+(?:of\s+)?your)\s+(?:\w+\s+){0,2}"
    r"(?:free\s+)?(?:articles?|stories|limit)\b"
    r"|\b(?:sign\s*in|log\s*in|subscribe)\s+to\s+read\s+(?:the\s+)?(?:full|this|more)\b"
    r"|\bunlock\s+(?:this|the\s+full)\s+(?:article|story)\b"
    r"|\bweiterlesen\s+mit\b|\bjetzt\s+(?:abonnieren|abo\s+abschließen)\b|\babonnenten\s+vorbehalten\b",
    re.IGNORECASE,
)
_JAVASCRIPT = re.compile(
    r"\b(?:enable|activate|turn\s+on|aktivieren\s+sie)\s+javascript\b|\bjavascript\s+(?:is\s+)?"
    r"(?:disabled|required|not\s+enabled|deaktiviert)\b|\brequires?\s+javascript\b"
    r"|\bjavascript\s+(?:must|needs\s+to)\s+be\s+enabled\b|\bbrowser\s+(?:does\s+not|doesn['’]t)\s+support\s+javascript\b",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def word_count(text: str) -> int:
    """Words in ``text``; Chinese, Japanese and Korean count one word per two characters."""
    cjk = len(_CJK.findall(text))
    words = len(re.findall(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+", _CJK.sub(" ", text)))
    return words + cjk // 2


def _stub_reason(text: str, title: str | None) -> str | None:
    """Which kind of notice ``text`` is (error, paywall, JavaScript, cookies), if any."""
    if _NOT_FOUND.search(f"{title or ''}\n{text}"):
        return "an error page (page not found)"
    if _PAYWALL.search(text):
        return "a paywall: only subscribers can read the article"
    if _JAVASCRIPT.search(text):
        return "the page needs JavaScript to show its content"
    hits = [hit.casefold() for hit in _COOKIE.findall(text)]
    # Cookies *and* a choice to make about them: a baking story says
    # "cookies" often, a footer has a "Cookie-Erklärung" link, a wall has both.
    about_cookies = any(h.startswith(("cookie", "consent", "einwilligung")) for h in hits)
    choices = any(not h.startswith(("cookie", "consent", "einwilligung")) for h in hits)
    if len(hits) >= 3 and about_cookies and choices:
        return "a cookie or consent wall"
    return None


def not_an_article(text: str, title: str | None = None) -> str | None:
    """Why ``text`` (with its page title) is not an article, or None if it may be one."""
    words = word_count(text)
    if words == 0:
        return "no text found on the page"
    if words < _STUB_WORDS:
        stub = _stub_reason(text, title)
        if stub:
            return stub
    if words < MIN_WORDS:
        return f"too short to be an article ({words} words)"
    return None


# -- cleaning ----------------------------------------------------------------------


def _key(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().casefold()


def _same_line(a: str, b: str) -> bool:
    return _key(a) == _key(b)


def clean_body(text: str, title: str | None = None) -> str:
    """``text`` without furniture lines, paragraphs separated by blank lines.

    trafilatura puts one paragraph per line; we hand them to
    :func:`bot.nlp.text.clean.clean` separated by blank lines so that it never
    joins two of them as a hard-wrapped paragraph (which would also swallow
    a furniture line between them). Two of its decisions are undone here:

    * its first-line title guess is kept unless it repeats ``title``:
      trafilatura keeps the title out of the body, so a short first line
      there is usually a subheading or a lede;
    * a short line repeated in the body loses only its repeats, not its
      first occurrence, when it reads as text (3+ words or a full sentence):
      trafilatura has already removed navigation, so what repeats now is a
      chorus, a list item, a recurring name.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    doubled = "\n\n".join(lines)
    if len(doubled) > MAX_TEXT_CHARS:
        return doubled
    cleaned = clean(doubled)
    spans = set(cleaned.blocks)
    if cleaned.title_span is not None and not (title and _same_line(cleaned.title or "", title)):
        spans.add(cleaned.title_span)
    seen = {_key(doubled[s:e]) for s, e in spans}
    if title:
        seen.add(_key(title))
    for s, e in cleaned.removed:
        line = doubled[s:e]
        key = _key(line)
        if (s, e) == cleaned.title_span or key in seen or is_furniture(line):
            continue
        seen.add(key)
        if len(line.split()) >= 3 or line.endswith((".", "!", "?", "。", "！", "？")):
            spans.add((s, e))
    return "\n\n".join(doubled[s:e] for s, e in sorted(spans))


# -- extraction --------------------------------------------------------------------


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _str_or_none(value: object) -> str | None:
    return (
        clean_line(unicodedata.normalize("NFC", value)) or None if isinstance(value, str) else None
    )


def _host(url: str | None) -> str | None:
    """The bare host name: never ``user:password@host:port``, which trafilatura gives."""
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def _site_name(sitename: object, url: str | None) -> str | None:
    """The site's name from its metadata, tidied as trafilatura's full pass does, else the
    host name without "www." (as trafilatura showed it); never userinfo or a port."""
    name = _str_or_none(sitename)
    if name:
        name = name.lstrip("@")  # a Twitter handle
        if name and "." not in name and not name[0].isupper():
            name = name.title()
    if name and ("@" in name or re.fullmatch(r"[^\s/]+:\d+", name)):
        name = None
    host = _host(url)
    return name or (re.sub(r"^(?:www|w\d+)\.", "", host) if host else None)


def parse_page(html: str | bytes) -> HtmlElement | None:
    """The page's tree, parsed once for the text and the metadata; never fetches.

    Bytes go in as bytes so that trafilatura reads the page's own
    ``<meta charset>`` rather than us guessing the encoding.
    """
    try:
        return trafilatura.load_html(html)
    except Exception:  # lxml on hostile markup: treat as "no article"
        return None


def trafilatura_document(tree: HtmlElement, url: str | None) -> Document | None:
    """trafilatura's default ("standard") text extraction, without its metadata pass.

    trafilatura works on a copy of ``tree``, so the tree stays whole for
    :func:`page_metadata`.
    """
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_tables=True,
            include_formatting=False,
        )
    except Exception:  # trafilatura/lxml on hostile markup: treat as "no article"
        return None
    return doc if isinstance(doc, Document) else None


@dataclass(frozen=True, slots=True)
class PageMeta:
    """The four fields of a page's metadata that ingest, the store and the CLI use."""

    title: str | None = None
    author: str | None = None
    published: datetime | None = None  # aware, UTC
    site: str | None = None

    @classmethod
    def of(cls, md: Document, url: str | None) -> PageMeta:
        """The fields of trafilatura's ``md``, safe to show (the bench reads its full pass
        this way too, to compare)."""
        return cls(
            title=_str_or_none(md.title),
            author=_str_or_none(md.author),
            published=_parse_date(md.date),
            site=_site_name(md.sitename, url),
        )


def page_metadata(tree: HtmlElement, url: str | None) -> PageMeta:
    """Title, author, date and site from the page's own tags, taken cheaply.

    trafilatura's full pass (``extract_metadata``) also takes categories, tags,
    licence and canonical URL, copies the whole tree to search the body for a
    byline, and runs htmldate's extensive free-text date search: it made
    extraction about 1.5x slower than the text alone (bench/extraction.py).
    We call its own readers for what we use (meta tags, JSON-LD, the title
    fallbacks) and htmldate in its fast mode (URL, meta tags, JSON-LD,
    ``<time>`` and date elements). A feed item's own author and date come first
    in ingest anyway.
    """
    md = Document()
    try:
        md = tmeta.examine_meta(tree)
        if md.author and " " not in md.author:  # as extract_metadata: a handle, not a name
            md.author = None
        md = tmeta.extract_meta_json(tree, md)
    except Exception:  # trafilatura's JSON-LD reader on broken data; keep what was read
        pass
    try:
        md.title = md.title or tmeta.extract_title(tree)
        md.sitename = md.sitename or tmeta.extract_sitename(tree)
        md.date = find_date(
            tree, url=url, extensive_search=False, original_date=True, outputformat=_DATE_FORMAT
        )
        md.clean_and_trim()  # entities, spaces and length, as extract_metadata does
    except Exception:
        pass
    return PageMeta.of(md, url)


def _page_text(html: str | bytes) -> str:
    """All the text of the page, boilerplate included (only to explain a rejection)."""
    try:
        return unicodedata.normalize("NFC", trafilatura.html2txt(html) or "")
    except Exception:
        return ""


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    fallback_text: str | None = None,
    fallback_title: str | None = None,
) -> Extracted:
    """The article in ``html`` (fetched from ``url``), or why there is none.

    ``fallback_text``/``fallback_title`` are the feed item's own content and
    title: used when the page yields no article, or much less text than the
    feed already carries (a page that only shows a teaser).
    """
    if isinstance(html, str) and html.strip() and not _MARKUP.search(html[:20_000]):
        return extract_text(html, url, fallback_text=fallback_text, fallback_title=fallback_title)
    tree = parse_page(html) if html else None
    doc = trafilatura_document(tree, url) if tree is not None else None
    meta = page_metadata(tree, url) if tree is not None and doc is not None else PageMeta()
    page_text: str = ""
    page_reason: str | None = "no text found on the page"
    if doc is not None:
        # NFC, as trafilatura.extract() does (bare_extraction() leaves it out)
        page_text = clean_body(clean_text(unicodedata.normalize("NFC", doc.text or "")), meta.title)
        page_reason = not_an_article(page_text, meta.title)
    if html and page_reason is not None and page_reason.startswith(("no text", "too short")):
        # Nothing (or a few words) extracted: say why if the whole page is a
        # notice trafilatura rightly skipped, e.g. "<noscript>enable JavaScript".
        whole = _page_text(html)
        if word_count(whole) < _STUB_WORDS:
            page_reason = _stub_reason(whole, meta.title) or page_reason
    return _choose(page_text, page_reason, meta, fallback_text, fallback_title)


def _choose(
    page_text: str,
    page_reason: str | None,
    meta: PageMeta,
    fallback_text: str | None,
    fallback_title: str | None,
) -> Extracted:
    """The page's article, else the feed item's own text, else why there is none."""
    title = meta.title
    fallback_title = clean_line(fallback_title) or None if fallback_title else None
    feed_text = clean_body(clean_text(fallback_text), fallback_title) if fallback_text else ""
    feed_ok = bool(feed_text) and not_an_article(feed_text, fallback_title) is None
    page_thin = feed_ok and word_count(page_text) * 2 < word_count(feed_text)
    if page_reason is None and not page_thin:
        return Extracted(
            status="ok",
            title=title or fallback_title,
            text=page_text,
            source="page",
            author=meta.author,
            published=meta.published,
            site=meta.site,
        )
    if feed_ok:
        why = page_reason or "the page shows much less text than the feed"
        return Extracted(
            status="ok",
            reason=f"page not used: {why}",
            title=fallback_title or title,
            text=feed_text,
            source="feed",
            author=meta.author,
            published=meta.published,
            site=meta.site,
        )
    return Extracted(
        status="no_article",
        reason=page_reason or "no text found on the page",
        title=title or fallback_title,
        author=meta.author,
        published=meta.published,
        site=meta.site,
    )


# Any tag at all, or an entity: a document without one is plain text, not HTML.
_MARKUP = re.compile(r"<(?:[a-zA-Z!/?][^<>]{0,200})>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def extract_text(
    text: str,
    url: str | None = None,
    *,
    fallback_text: str | None = None,
    fallback_title: str | None = None,
) -> Extracted:
    """The article in a plain-text document (a file, a text/plain page): no HTML to parse.

    The first line is the title when it stands alone and reads like one (short,
    no full stop), as in the bundled sample articles.
    """
    body = clean_text(unicodedata.normalize("NFC", text)).strip()
    head, sep, rest = body.partition("\n\n")
    title = None
    if sep and "\n" not in head and len(head.split()) <= 20 and not head.endswith("."):
        title, body = clean_line(head) or None, rest
    page_text = clean_body(body, title)
    meta = PageMeta(title=title, site=_host(url))
    return _choose(page_text, not_an_article(page_text, title), meta, fallback_text, fallback_title)
