"""What a resolution answers with: captures, the records they replay, and how they were found.

These are the values the service, the briefing check and citation tools receive, so their
JSON form (:meth:`Capture.to_dict`, :meth:`Resolution.to_dict`) is a contract: ``match`` is a
:class:`~enum.StrEnum` so it serialises as the same bare string it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any
from urllib.parse import urljoin

from scoarchive.core.dates import DAY_TIME

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


MICROSECOND = timedelta(microseconds=1)


class Match(StrEnum):
    """How the cited URL led to the capture, from the most to the least literal."""

    EXACT = "exact"  # the very address, as captured
    CANONICAL = "canonical"  # the same address spelled differently (scheme, www., tracking, ...)
    ALIAS = "alias"  # another address of the same article (old site, slug)
    REDIRECT = "redirect"  # through redirects the archive captured


class Grade(IntEnum):
    """Preference among captures of one URL: content first, then a redirect to follow, then the rest.

    An IntEnum, because the index stores it as a column and orders by it; it never reaches JSON.
    """

    OK = 0  # 2xx: the page itself
    REDIRECT = 1  # 3xx with a Location: a hop towards the page
    OTHER = 2  # errors, and redirects without a target: what the site answered, better than nothing

    @classmethod
    def of(cls, status: int | None, location: str | None) -> Grade:
        """The grade of a capture served with ``status`` (the referred record's, for a revisit)."""
        if status is not None and 200 <= status < 300:
            return cls.OK
        if status is not None and 300 <= status < 400 and location:
            return cls.REDIRECT
        return cls.OTHER


@dataclass(frozen=True)
class StoredRecord:
    """The WARC record holding a capture's HTTP response: enough to replay it with one seek."""

    record_id: str
    warc_file: str
    warc_offset: int
    warc_length: int
    status: int | None
    mime: str | None


@dataclass(frozen=True)
class Capture:
    """One capture (response or revisit record) of one URL at one moment."""

    key: str
    url: str
    time: datetime
    status: int | None  # as recorded: 304 for a not-modified revisit
    mime: str | None
    record_type: str
    record_id: str
    warc_file: str
    warc_offset: int
    warc_length: int
    payload_digest: str | None
    location: str | None
    article_key: str | None
    title: str | None
    content: StoredRecord  # the record replayed for this capture (the referred one for a revisit)

    @property
    def timestamp(self) -> str:
        """The 14-digit Wayback timestamp (UTC, to the second)."""
        return self.time.strftime("%Y%m%d%H%M%S")

    @property
    def grade(self) -> Grade:
        return Grade.of(self.content.status, self.location)

    def redirect_target(self) -> str | None:
        """The absolute URL a redirect capture points to."""
        return urljoin(self.url, self.location) if self.grade == Grade.REDIRECT and self.location else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "time": iso(self.time),
            "timestamp": self.timestamp,
            "status": self.status,
            "mime": self.mime,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "warc_file": self.warc_file,
            "warc_offset": self.warc_offset,
            "warc_length": self.warc_length,
            "payload_digest": self.payload_digest,
            "location": self.location,
            "article_key": self.article_key,
            "title": self.title,
            "content": vars(self.content).copy(),
        }


@dataclass(frozen=True)
class Resolution:
    """The answer to "what did this URL say at that time": a capture, and how it was found."""

    url: str  # as asked
    at: datetime | None
    match: Match
    capture: Capture  # the capture answering; after redirects, the last hop's
    via: tuple[Capture, ...] = ()  # redirect captures followed, in order

    @property
    def distance(self) -> timedelta | None:
        """Capture time minus the asked time (negative: captured before)."""
        return None if self.at is None else self.capture.time - self.at

    def to_dict(self) -> dict[str, Any]:
        distance = self.distance
        return {
            "url": self.url,
            "at": iso(self.at) if self.at else None,
            "match": str(self.match),
            "distance_seconds": distance.total_seconds() if distance is not None else None,
            "capture": self.capture.to_dict(),
            "via": [hop.to_dict() for hop in self.via],
        }


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, microseconds only when there are any."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_moment(at: datetime | date | None) -> datetime | None:
    """An aware UTC datetime; a naive one is UTC, a bare date is its noon (see dates.DAY_TIME)."""
    if at is None or isinstance(at, datetime):
        if at is not None and at.tzinfo is None:
            return at.replace(tzinfo=UTC)
        return at.astimezone(UTC) if at is not None else None
    return datetime.combine(at, DAY_TIME)


def micros(moment: datetime) -> int:
    """Microseconds since 1970 UTC: how the index stores capture times (exact, and sortable)."""
    return (moment - EPOCH) // MICROSECOND


def moment(us: int) -> datetime:
    """The aware UTC datetime of a :func:`micros` value."""
    return EPOCH + us * MICROSECOND


def nearness(capture: Capture, at: int | None) -> tuple[int, int]:
    """Sort key: nearest to ``at`` first, the earlier on a tie; the latest first when ``at`` is None."""
    ts = micros(capture.time)
    return (-ts, 0) if at is None else (abs(ts - at), ts)
