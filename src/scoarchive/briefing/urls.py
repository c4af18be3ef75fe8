"""URLs as analysts write them in briefings: hard-wrapped, followed by punctuation."""

from __future__ import annotations

import re

from scoarchive.briefing.model import BriefingError, UrlSpan
from scoarchive.core.urls import InvalidURL, split_http_url

_URL_CHARS = r"""[^\s<>"“”„«»‹›‘’‚\[\]{}|\\^`]"""


_URL = re.compile(rf"https?://{_URL_CHARS}*", re.IGNORECASE)


_WRAP = re.compile(rf"[ \t]*\r?\n[ \t]*({_URL_CHARS}+)")


_TRAILING = ".,;:!?'…)>"


_PATH_LIKE = re.compile(r"[/=&?#%]|\.[a-z]{2,5}$", re.IGNORECASE)


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
    if raw[-1] in _TRAILING or continuation.lower().startswith(("http://", "https://")):
        return False
    rest = _strip_trailing(continuation)
    if not rest:
        return False
    return bool(_PATH_LIKE.search(rest))


def url_spans(text: str) -> list[UrlSpan]:
    """Every http(s) URL written out in ``text``, re-joined across a line break where it was wrapped."""
    spans = []
    position = 0
    while match := _URL.search(text, position):
        raw, end = match.group(), match.end()
        while (wrapped := _WRAP.match(text, end)) and _continues(raw, wrapped.group(1)):
            raw += wrapped.group(1)
            end = wrapped.end()
        url = _strip_trailing(raw)
        spans.append(UrlSpan(match.start(), end - (len(raw) - len(url)), url))
        position = end
    return spans


def _check_url(url: str, where: str) -> str:
    try:
        split_http_url(url)
    except InvalidURL as exc:
        raise BriefingError(f"{where}: unparsable URL {url!r} ({exc})") from None
    return url


def _is_http(href: str) -> bool:
    return href.lower().startswith(("http://", "https://"))
