"""Answers for requests the service cannot serve: 4xx for bad input, 503 without a warehouse.

Handlers raise; :func:`guard` turns what they raise into an answer, so no traceback reaches a
client. Memento clients read the TimeGate's and link TimeMap's errors as text, others as JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from scoarchive import warehouse
from scoarchive.core.urls import InvalidURL

Endpoint = Callable[[Request], Awaitable[Response]]


class BadRequest(ValueError):
    """Input the service refuses with a 4xx status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def guard(handler: Endpoint, *, text: bool = False) -> Endpoint:
    """``handler`` with bad input and a missing warehouse answered as errors (JSON, or plain text)."""

    def error(message: str, status: int) -> Response:
        if text:
            return PlainTextResponse(message + "\n", status)
        return JSONResponse({"error": message}, status)

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return error(str(exc), exc.status)
        except InvalidURL as exc:
            return error(str(exc), 400)
        except warehouse.WarehouseError as exc:
            return error(str(exc), 503)

    return guarded
