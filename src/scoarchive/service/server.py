"""Running the service under uvicorn: on a socket bound before anything is printed, in one
process or in several worker processes sharing it.

Binding first makes a busy port one clear error instead of a promise followed by uvicorn's
``[Errno 98]``. Workers are spawned (uvicorn's supervisor), so each builds its own app from a
picklable :class:`AppFactory`; they share the resolver's index file and the operating system's
page cache, and each holds its own bounded cache.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from scoarchive.service.app import create_app
from scoarchive.service.config import ServiceConfig

MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """One worker per core this process may run on (the event loop of each keeps one core busy)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class AppFactory:
    """Builds the app in a worker process."""

    data_dir: Path
    config: ServiceConfig
    profile: str = "sco"

    def __call__(self) -> ASGIApp:
        return create_app(self.data_dir, profile=self.profile, config=self.config)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``, as uvicorn binds one; OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _config(app: object, **options: object) -> uvicorn.Config:
    # The service trusts nothing it is sent, X-Forwarded-* included; no header names the software.
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        server_header=False,
        date_header=False,
        proxy_headers=False,
        **options,  # type: ignore[arg-type]
    )


def serve(factory: AppFactory, sock: socket.socket, workers: int) -> bool:
    """Serve until stopped (Ctrl-C, SIGTERM); False if the app could not start."""
    # a worker spawned on a busy machine may take more than uvicorn's 5 s to import and answer
    # its first health check; it is killed and replaced if it does not answer in time
    config = _config(factory, factory=True, workers=workers, timeout_worker_healthcheck=30)
    if workers == 1:
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        return server.started
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()  # stops every worker when one fails to start
    return not any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)


@contextlib.contextmanager
def background_server(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields the base URL (port 0: any free port)."""
    server = uvicorn.Server(_config(app, host=host, port=port))
    thread = threading.Thread(target=server.run, name="scoarchive-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(10)
