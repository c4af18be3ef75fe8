"""robots.txt, as RFC 9309 reads it (through protego)."""

from __future__ import annotations

from typing import BinaryIO

from protego import Protego

from scoarchive.core.httpmsg import BodyTooLarge, decode_body

ROBOTS_MAX_BYTES = 512 * 1024


class Robots:
    """robots.txt rules of one origin, with RFC 9309's defaults for missing files."""

    def __init__(self, parser: Protego | None, allow_all: bool) -> None:
        self._parser = parser
        self._allow_all = allow_all

    @classmethod
    def from_body(cls, body: BinaryIO, content_encoding: str | None) -> Robots:
        try:
            text = decode_body(body, content_encoding, ROBOTS_MAX_BYTES)
        except BodyTooLarge as exc:
            text = exc.partial  # RFC 9309: parse at least the first 500 KiB
        except ValueError:
            return cls(None, allow_all=False)
        return cls(Protego.parse(text.decode("utf-8", errors="replace")), allow_all=False)

    @classmethod
    def from_response(cls, status: int, body: BinaryIO, content_encoding: str | None) -> Robots:
        """RFC 9309: 4xx means no rules; a failing robots.txt (5xx) means stay out."""
        if 200 <= status < 300:
            return cls.from_body(body, content_encoding)
        if 400 <= status < 500:
            return cls(None, allow_all=True)
        return cls(None, allow_all=False)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self._parser is not None:
            return bool(self._parser.can_fetch(url, user_agent))
        return self._allow_all

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None
