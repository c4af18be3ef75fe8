"""Text helpers shared by article and PDF extraction: normal form, words, content digests."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date


class NotExtractable(ValueError):
    """A page that yields no article: binary or malformed content, or no main text."""


_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


_WORDS = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def content_digest(title: str | None, published: date | None, text: str) -> str:
    """SHA-256 of what makes a version: an edit to the title, date or text is a new version."""
    material = "\x1f".join((title or "", published.isoformat() if published else "", text))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def count_words(text: str) -> int:
    """Words, counting each CJK character as one (Chinese is written without spaces)."""
    return len(_WORDS.findall(text))


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()
