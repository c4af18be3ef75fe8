"""robots.txt, as RFC 9309 reads it (through protego)."""

from __future__ import annotations

from typing import BinaryIO

from protego import Protego

from scoarchive.core.httpmsg import BodyTooLarge, decode_body

ROBOTS_MAX_BYTES = 512 * 1024


class RobotsUnavailable(Exception):
    """No rules can be had (the server fails, the file cannot be decoded): RFC 9309 says stay out,
    so the host counts as unreachable, with this one-line reason."""


class Robots:
    """robots.txt rules of one origin, with RFC 9309's defaults for missing files."""

    def __init__(self, parser: Protego | None) -> None:
        self._parser = parser

    @classmethod
    def from_body(cls, body: BinaryIO, content_encoding: str | None) -> Robots:
        try:
            text = decode_body(body, content_encoding, ROBOTS_MAX_BYTES)
        except BodyTooLarge as exc:
            text = exc.partial  # RFC 9309: parse at least the first 500 KiB
        except ValueError as exc:
            raise RobotsUnavailable(f"robots.txt cannot be decoded: {exc}") from None
        return cls(Protego.parse(text.decode("utf-8", errors="replace")))

    @classmethod
    def from_response(cls, status: int, reason: str, body: BinaryIO, content_encoding: str | None) -> Robots:
        """RFC 9309: 4xx means no rules; a failing robots.txt (5xx) means stay out."""
        if 200 <= status < 300:
            return cls.from_body(body, content_encoding)
        if 400 <= status < 500:
            return cls(None)
        raise RobotsUnavailable(f"robots.txt answered {reason}")

    def allowed(self, url: str, user_agent: str) -> bool:
        return self._parser is None or bool(self._parser.can_fetch(url, user_agent))
