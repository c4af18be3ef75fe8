"""The HTTP service over an archive: the resolution API, Memento, Wayback-style replay, the pages.

Split as pywb splits its apps from its rewriting: :mod:`.app` (routes, middleware),
:mod:`.api`, :mod:`.memento`, :mod:`.replay`, :mod:`.rewrite`, :mod:`.pages`, over what the
handlers share (:mod:`.archive`, :mod:`.cache`, :mod:`.config`, :mod:`.addresses`,
:mod:`.errors`); :mod:`.server` runs it under uvicorn.

The names below are imported on first use, so that a command reading only the service's
settings does not pay for importing Starlette, lxml and uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoarchive.service.app import create_app
    from scoarchive.service.config import ServiceConfig
    from scoarchive.service.server import background_server

__all__ = ["ServiceConfig", "background_server", "create_app"]

_HOMES = {"create_app": "app", "ServiceConfig": "config", "background_server": "server"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
