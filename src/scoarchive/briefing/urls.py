"""URLs as analysts write them in briefings: hard-wrapped, followed by punctuation, without a scheme.

A URL in running text ends where the sentence's punctuation starts, may be cut by a line break
(an editor's hard wrap, a PDF's line end) and is often written without ``http://``
(``eng.sectsco.org/20210615/765514.html``, ``www.sectsco.org``). Such an address is taken as
``http://`` plus what was written, as GitHub's autolinks do for ``www.`` addresses; resolution
canonicalises the scheme anyway. Not every dotted word is a host: a scheme-less URL must be a
``www.`` address, or a lowercase host whose last label is a known top-level domain, followed by a
path (so "z.B./" or "inkl.mwst/Jahr" are words, ``sectsco.org/`` is an address).
"""

from __future__ import annotations

import re

from scoarchive.briefing.model import BriefingError, UrlSpan
from scoarchive.core.urls import InvalidURL, split_http_url

# never part of a written URL: spaces, quote marks, brackets, and CJK punctuation ("，。")
_URL_CHARS = r"""[^\s<>"“”„«»‹›‘’‚\[\]{}|\\^`，。；：！？、（）「」【】]"""


_URL = re.compile(rf"https?://{_URL_CHARS}*", re.IGNORECASE)


# the generic top-level domains analysts cite; every two-letter label is a country code
_GENERIC_TLDS = "com|org|net|int|edu|gov|mil|info|biz|name|pro|asia|mobi|news|online|site|world|app|dev"


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"


_BARE_URL = re.compile(
    rf"(?<![A-Za-z0-9_@./:%+-])(?:"  # ASCII only: a CJK character may touch an address
    rf"(?i:www\.{_LABEL}(?:\.{_LABEL})+)\.?(?::\d{{1,5}})?(?:/{_URL_CHARS}*)?"  # www.sectsco.org
    # eng.sectsco.org/20210615/765514.html, eng.sectsco.org./…
    rf"|{_LABEL}(?:\.{_LABEL})*\.(?:[a-z]{{2}}|{_GENERIC_TLDS})\.?(?::\d{{1,5}})?/{_URL_CHARS}*"
    r")"
)


_WRAP = re.compile(rf"[ \t]*\r?\n[ \t]*({_URL_CHARS}+)")


_TRAILING = ".,;:!?'…)>"


_PATH_LIKE = re.compile(r"[/=&?#%]|\.[a-z]{2,5}$", re.IGNORECASE)


_STARTS_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


def is_http(href: str) -> bool:
    """Whether a link target is a web address (not ``mailto:``, ``#note``, a file path...)."""
    return href.lower().startswith(("http://", "https://"))


def without_scheme(url: str) -> str:
    """The address without ``http://`` or ``https://``: how a written URL and a link target that
    name one page (``eng.sectsco.org/a.html`` shown, ``https://eng.sectsco.org/a.html`` linked)
    are recognised as one citation."""
    return url.split("://", 1)[1] if is_http(url) else url


def check_url(url: str, where: str) -> str:
    """``url`` if it is an http(s) address one can resolve; a one-line BriefingError naming
    ``where`` it was cited otherwise (a typo in a briefing is the analyst's to fix)."""
    try:
        split_http_url(url)
    except InvalidURL as exc:
        raise BriefingError(f"{where}: unparsable URL {url!r} ({exc})") from None
    return url


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation after a URL, keeping a closing parenthesis the URL opened."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _continues(raw: str, continuation: str) -> bool:
    """Whether the next line's first word is the rest of a URL cut by a line break.

    Only when the URL did not end in punctuation and the continuation looks like a path (a
    slash, a query, a file extension): a plain word on the next line is the sentence going on.
    """
    if raw[-1] in _TRAILING or _STARTS_URL.match(continuation):
        return False
    rest = _strip_trailing(continuation)
    if not rest:
        return False
    return bool(_PATH_LIKE.search(rest))


def _spans(text: str, pattern: re.Pattern[str], scheme: str) -> list[UrlSpan]:
    spans = []
    position = 0
    while match := pattern.search(text, position):
        raw, end = match.group(), match.end()
        while (wrapped := _WRAP.match(text, end)) and _continues(raw, wrapped.group(1)):
            raw += wrapped.group(1)
            end = wrapped.end()
        url = _strip_trailing(raw)
        if url:
            spans.append(UrlSpan(match.start(), end - (len(raw) - len(url)), scheme + url))
        position = end
    return spans


def url_spans(text: str) -> list[UrlSpan]:
    """Every URL written out in ``text``, in order, re-joined across a line break where it was
    wrapped; a scheme-less address (see the module's docstring) gets ``http://``."""
    spans = _spans(text, _URL, "")
    # scheme-less addresses in what the full URLs leave, so no part of a URL is read twice
    gaps, position = [], 0
    for span in spans:
        gaps.append((position, span.start))
        position = span.end
    gaps.append((position, len(text)))
    for start, end in gaps:
        spans += [
            UrlSpan(start + s.start, start + s.end, s.url)
            for s in _spans(text[start:end], _BARE_URL, "http://")
        ]
    return sorted(spans, key=lambda span: span.start)
