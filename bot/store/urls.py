"""Canonical article URLs: one article per page, however the link was decorated.

Hand-written on ``urllib.parse`` on purpose: ``w3lib.url.canonicalize_url`` and
``url-normalize`` sort the query and drop the fragment but keep tracking parameters,
and ``courlan`` (already here through trafilatura) keeps ``smid``/``ref`` and the
fragment. What we need is those two steps plus a tracking-parameter list and AMP
variants, which is a few lines we can test ourselves.
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
