"""A cited URL as the archive looks it up: canonical form, SURT key, article identity."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scoarchive.core.profile import Profile
from scoarchive.core.urls import InvalidURL, surt_key

MAX_URL = 4096  # longer than any real citation; refusing early bounds the work per request


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Target:
    """A URL as the archive looks it up."""

    url: str  # as given
    canonical: str
    key: str  # SURT key of the canonical URL
    article_key: str | None


def canonical_url(url: str, profile: Profile) -> str:
    """The profile's canonical form: the profile's hosts lose case, a trailing dot and ``www.``,
    so ``https://www.eng.sectsco.org./x`` is looked up as ``https://eng.sectsco.org/x``."""
    text = url.strip()
    if len(text) > MAX_URL:
        raise InvalidURL(f"URL longer than {MAX_URL} characters")
    if _CONTROL.search(text):
        raise InvalidURL(f"URL contains control characters: {text[:80]!r}")
    if "://" not in text:
        text = "http://" + text.removeprefix("//")  # citations often drop the scheme
    try:
        return profile.canonicalize(text)
    except InvalidURL:
        raise InvalidURL(f"not a usable http(s) URL: {url.strip()[:200]!r}") from None


def target(url: str, profile: Profile) -> Target:
    """Parse a cited URL into the keys the index is searched by; InvalidURL if unusable."""
    canonical = canonical_url(url, profile)
    try:
        key = surt_key(canonical)
    except ValueError as exc:
        raise InvalidURL(f"malformed URL {url[:200]!r}: {exc}") from None
    return Target(url.strip(), canonical, key, profile.article_key(canonical))
