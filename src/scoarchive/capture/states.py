"""The states a crawl run and its URLs go through, and what became of each URL.

Stored by their values in the frontier (SQLite), so the values are part of its format.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"  # ended with URLs still queued (--max-pages); the same command resumes it
    FINISHED = "finished"


class QueueState(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"  # robots.txt disallows it: never requested


class Outcome(StrEnum):
    """What became of one URL; a failure's details are in its one-line reason."""

    NEW = "new"
    UNCHANGED = "unchanged"  # written as a revisit
    REDIRECT = "redirect"
    TRUNCATED = "truncated"  # cut at --max-bytes or the time limit, marked WARC-Truncated
    HTTP_ERROR = "http error"  # an answer of 400 or more, recorded
    NO_RESPONSE = "no response"  # refused, reset, timed out, or closed without a reply
    MALFORMED = "malformed response"  # not HTTP: a bad status line, header, length or chunk
    CUT_SHORT = "cut short"  # the connection ended inside the body; what came is recorded
    UNDECODABLE = "undecodable body"  # not valid in its Content-Encoding; recorded as sent
    REFUSED = "refused"  # the egress policy does not allow it; nothing was sent
    UNREACHABLE = "host unreachable"  # its host's robots.txt could not be had
    DISALLOWED = "disallowed by robots.txt"
    INTERNAL = "internal error"  # a bug: the crawl carries on with the next URL


# Failures a later attempt may not repeat: worth a retry after a pause.
TRANSIENT = frozenset({Outcome.NO_RESPONSE, Outcome.CUT_SHORT})
