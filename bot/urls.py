"""URLs, the one vocabulary: how a link is canonicalised, shown, logged and stored.

Neutral on purpose (no network, no store): fetch errors, log lines, ingest reports,
stored article links and every rendered link use it alike.

- :func:`canonical_url`: one article per page, however the link was decorated.
  Hand-written on ``urllib.parse`` on purpose: ``w3lib.url.canonicalize_url`` and
  ``url-normalize`` sort the query and drop the fragment but keep tracking parameters,
  and ``courlan`` (already here through trafilatura) keeps ``smid``/``ref`` and the
  fragment. What we need is those two steps plus a tracking-parameter list and AMP
  variants, which is a few lines we can test ourselves.
- :func:`redact_url`: never a password, never a token. Userinfo is dropped; the value
  of every query parameter whose name looks like a secret (token, key, api_key, sig,
  signature, password, auth, session, ...) becomes ``REDACTED``; the rest of the URL
  stays, so that a link still leads to its page.
- :func:`web_link`: only http(s) links reach a person.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Exact query keys (lower-cased) that only say where a click came from: the click ids
# of the ad networks (Facebook, Google, Microsoft, Yandex, Twitter), mail campaigns
# (Mailchimp, HubSpot, Marketo, Vero, Omeda), analytics (Google Analytics, AT Internet's
# xtor and at_*, Adobe's s_cid/icid, comScore's ns_*, Piwik/Matomo's pk_/mtm_), and
# news sites' own referral tags (NYT smid, CNN/MSN ocid, Yahoo guccounter): the kinds
# ClearURLs and Firefox's query stripping list. Stripped from canonical URLs and from
# every link shown (``strip_tracking``).
TRACKING_PARAMS = frozenset(
    {
        "wbraid",
        "gbraid",
        "gclsrc",
        "s_cid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "wickedid",
        "soc_src",
        "soc_trk",
        "ncid",
        "sc_cid",
        "cndid",
        "mbid",
        "_openstat",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "igshid",
        "cmpid",
        "ocid",
        "smid",
        "smtyp",
        "cmp",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "share",
        "sr_share",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "icid",
        "ito",
        "wt.mc_id",
        "xtor",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "outputtype",  # only ever "amp" on news sites; handled with the AMP rules too
        "amp",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PCT = re.compile(r"%[0-9a-fA-F]{2}")
_AMP_SUFFIX = re.compile(r"(?:/amp|\.amp)$", re.IGNORECASE)
# Characters left as they are in a path: RFC 3986 pchar plus "/" and "%" (escapes kept).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """``url`` as given, less its tracking parameters (``TRACKING_PARAMS``, ``utm_*``...):
    the link shown to people. Everything else (order, case, fragment) stays."""
    raw = url.strip()
    try:
        parts = urlsplit(raw)
    except ValueError:
        return raw
    if not parts.query or parts.scheme.lower() not in _DEFAULT_PORTS:
        return raw
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in params if not _is_tracking(k)]
    if len(kept) == len(params):
        return raw
    query = urlencode(kept, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def canonical_url(url: str) -> str:
    """The form under which an article is stored: same page, same string.

    Lower-cases scheme and host, drops userinfo, default ports, the fragment, tracking
    parameters and AMP markers, sorts the remaining parameters and removes a
    trailing slash (except the root's). Anything that is not http(s) comes back
    stripped but otherwise untouched.
    """
    raw = url.strip()
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return raw
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the URL as given
        return raw
    # No userinfo: a password is never part of an article's identity, nor stored.
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    path = quote(parts.path, safe=_PATH_SAFE)
    path = _PCT.sub(lambda m: m.group(0).upper(), path)
    path = _AMP_SUFFIX.sub("", path.rstrip("/"))
    path = path.rstrip("/") or "/"

    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = sorted((k, v) for k, v in params if not _is_tracking(k))
    query = urlencode(kept, quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))


REDACTED = "REDACTED"

# A parameter is secret when one of its words (split at punctuation and camelCase)
# is here, or its name ends with one of them: "apikey", "X-Amz-Signature", "authToken".
_SECRET_WORDS = frozenset(
    "token key apikey secret sig signature password passwd pwd pass auth authorization "
    "credential credentials session sessionid sid jwt code otp hmac bearer".split()
)
_SECRET_SUFFIXES = ("token", "key", "secret", "sig", "signature", "password", "passwd", "auth")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_param(name: str) -> bool:
    words = {w.lower() for w in _WORDS.findall(name)}
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    return bool(words & _SECRET_WORDS) or squashed.endswith(_SECRET_SUFFIXES)


# Services that put a secret in a URL's path, by host: the pattern's ``secret`` group is
# blanked. Only these known shapes are: a general rule (long random segments) would blank
# the article ids of ordinary links too.
_SECRET_PATHS: dict[str, re.Pattern[str]] = {
    # Slack's incoming webhooks: /services/T…/B…/<secret> (workflow triggers alike)
    "hooks.slack.com": re.compile(
        r"^/(?:services|workflows|triggers)/(?:[^/]+/)+(?P<secret>[^/]+)"
    ),
    # Discord's webhooks: /api[/v10]/webhooks/<id>/<token>
    **dict.fromkeys(
        ("discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"),
        re.compile(r"^/api(?:/v\d+)?/webhooks/\d+/(?P<secret>[^/?#]+)"),
    ),
    # Telegram's Bot API: /bot<token>/<method>, /file/bot<token>/<path>
    "api.telegram.org": re.compile(r"^(?:/file)?/bot(?P<secret>[^/]+)"),
}


def _path_secret(host: str, path: str) -> re.Match[str] | None:
    shape = _SECRET_PATHS.get(host.lower().removeprefix("www."))
    return shape.match(path) if shape else None


def _redact_path(host: str, path: str) -> str:
    m = _path_secret(host, path)
    if not m:
        return path
    return path[: m.start("secret")] + REDACTED + path[m.end("secret") :]


def has_credentials(url: str) -> bool:
    """Whether ``redact_url`` would blank anything: userinfo, a query parameter that looks
    like a secret, or a known service's secret path (such a URL is kept encrypted)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if "@" in parts.netloc:
        return True
    if _path_secret(parts.hostname or "", parts.path):
        return True
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return any(is_secret_param(k) or _nested_secret(v) for k, v in pairs)


def _nested_secret(value: str) -> bool:
    """A parameter that is itself a URL with credentials: a redirector's
    ``?to=https://host/feed?token=…`` (each nesting is shorter: this ends)."""
    return "://" in value and has_credentials(value)


def redact_url(url: object) -> str:
    """``url`` (a str or an ``httpx.URL``) without userinfo and with secret parameters blanked,
    and the secret in a known service's path (a Slack or Discord webhook, a Telegram bot).

    Not a URL at all (``javascript:…``, a file name) comes back unchanged but for its
    query's secrets; a URL that cannot be parsed becomes ``<invalid URL>``.
    """
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc
    if "@" in netloc or parts.hostname:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = host + (f":{port}" if port is not None else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(k) or _nested_secret(v) for k, v in pairs):
            shown = [
                (k, REDACTED if is_secret_param(k) else redact_url(v) if _nested_secret(v) else v)
                for k, v in pairs
            ]
            query = urlencode(shown, quote_via=quote)
    path = _redact_path(parts.hostname or "", parts.path)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


# Left as they are in a link's path, query and fragment: RFC 3986's unreserved and
# reserved characters and existing escapes, but not the brackets, parentheses, angle
# brackets, quotes and pipes that end a link in Markdown, Slack's <url|text> or a terminal.
_LINK_SAFE = "/?:@!$&'*+,;=-._~%#"


def web_link(url: str | None) -> str | None:
    """``url`` as a link a person may be shown or a store may keep: http(s) with a host,
    redacted, with every character that could end a link in Markdown or Slack
    percent-encoded; None for anything else (``javascript:``, ``data:``, ``file:``, a guid)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url.strip()):
        return None
    shown = redact_url(url)
    if shown == "<invalid URL>":
        return None
    parts = urlsplit(shown)
    path, query, fragment = (
        quote(p, safe=_LINK_SAFE) for p in (parts.path, parts.query, parts.fragment)
    )
    return urlunsplit((parts.scheme, parts.netloc, path, query, fragment))


def is_http_url(source: str) -> bool:
    """Whether a command-line or feed source is an http(s) URL rather than a file."""
    try:
        return urlsplit(source).scheme in {"http", "https"}
    except ValueError:  # "http://[::1" and friends: not a URL we can fetch
        return False
