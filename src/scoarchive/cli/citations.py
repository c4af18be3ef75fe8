"""Citation commands of the ``scoarchive`` CLI: ``resolve`` and ``serve``.

Registered on the main app by importing this module from ``scoarchive.cli``. Both read the
warehouse's published snapshot (through the resolver's derived index), so they work while a
crawl or a load runs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated

import typer

from scoarchive.cli.common import DataOption, archive_path, err, fail, out, user_errors
from scoarchive.core.dates import parse_datetime
from scoarchive.resolve import Resolution, Resolver
from scoarchive.service.config import DEFAULT_CACHE_BYTES
from scoarchive.warehouse import WarehouseError


def resolve_command(
    url: Annotated[str, typer.Argument(help="The cited address, in any of its historical forms.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When it was cited: 2021-06-15, 2021-06-15T10:00Z, 15.06.2021, 7 June 2021, "
            "16. Juni 2021, 16 июня 2021 [default: the latest capture].",
        ),
    ] = None,
    data: DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the resolution as JSON.")] = False,
) -> None:
    """Find the archived copy of a cited URL, nearest to the date it was cited.

    Exit status: 0 found, 1 nothing archived for it, 2 bad input.

        scoarchive resolve http://eng.sectsco.org/news/20210615/765514.html --at "16. Juni 2021"
    """
    with user_errors():
        moment = parse_datetime(at) if at is not None else None
        resolver = Resolver(archive_path(data))
        try:
            result = resolver.resolve(url, moment)
        except WarehouseError as exc:
            fail(str(exc), code=1)
    if result is None:
        fail(f"nothing archived for {url} (no capture of this address, its article or a redirect to it)", 1)
    if as_json:
        data_out = result.to_dict()
        data_out["memento_path"] = f"/web/{resolver.memento_timestamp(result.capture)}/{result.capture.url}"
        out.print_json(json.dumps(data_out, ensure_ascii=False))
        return
    print_resolution(result, resolver)


def print_resolution(result: Resolution, resolver: Resolver) -> None:
    """Label-value lines, unwrapped, so file names and record ids copy and paste whole."""
    capture = result.capture
    content = capture.content
    recorded = (
        f" (revisit of {content.record_id}, recorded {capture.status})"
        if capture.record_type == "revisit"
        else ""
    )
    captured = capture.time.strftime("%Y-%m-%d %H:%M:%S UTC")
    if result.distance is not None:
        captured += f" ({_human(result.distance.total_seconds())} --at)"
    rows = [
        ("cited", f"{result.url} ({result.match} match)"),
        ("archived URL", capture.url),
        ("captured", captured),
        ("status", f"{content.status}{recorded}"),
        ("WARC file", f"{content.warc_file} @ {content.warc_offset} (length {content.warc_length})"),
        ("WARC record", capture.record_id),
        ("payload digest", capture.payload_digest or "-"),
        ("replay", f"/web/{resolver.memento_timestamp(capture)}/{capture.url}"),
        *(("via", f"{hop.status} {hop.url} -> {hop.location}") for hop in result.via),
    ]
    out.print(capture.title or "(no title)", markup=False, highlight=False, soft_wrap=True)
    for label, value in rows:
        out.print(f"  {label:<15} {value}", markup=False, highlight=False, soft_wrap=True)


def _human(seconds: float) -> str:
    direction = "after" if seconds >= 0 else "before"
    span = abs(seconds)
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if span >= size:
            return f"{span / size:.1f} {unit} {direction}"
    return f"{span:.1f} seconds {direction}"


def serve_command(
    data: DataOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The address clients reach the service at (scheme://host[:port]; behind a proxy, its "
            "public one), used in every absolute link [default: http://HOST:PORT].",
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Another name clients may send as Host (repeatable; *.example.org for subdomains). "
            "Always allowed: --host (and localhost on loopback) and the --base-url host; others get 400.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes [default: one per core, at most 8]."),
    ] = None,
    cache_mib: Annotated[
        int,
        typer.Option(
            "--cache-mib",
            min=0,
            help="Archived records and rendered pages kept in memory, per worker (0: none).",
        ),
    ] = DEFAULT_CACHE_BYTES // 2**20,
) -> None:
    """Serve resolution, Memento (TimeGate, TimeMaps) and replay over HTTP.

    Open http://127.0.0.1:8080/ to search; cite http://HOST:PORT/timegate/URL in tools that speak Memento.
    Exit status: 0 stopped (Ctrl-C), 1 no warehouse or the service failed, 2 bad input or the port is taken.
    """
    from scoarchive.service.config import ServiceConfig, base_url_for
    from scoarchive.service.server import AppFactory, bind, default_workers, serve

    with user_errors():
        config = ServiceConfig(
            host=host,
            base_url=base_url,
            allowed_hosts=tuple(allowed_host or ()),
            cache_bytes=cache_mib * 2**20,
        )
        resolver = Resolver(archive_path(data))
        try:
            resolver.index()  # build the index now, once, not in each worker's first request
        except WarehouseError as exc:
            fail(str(exc), code=1)
    try:
        sock = bind(host, port)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {(exc.strerror or str(exc)).lower()}", code=2)
    if config.base_url is None:
        config = replace(config, base_url=base_url_for(host, sock.getsockname()[1]))
    count = workers or default_workers()
    plural = "s" if count > 1 else ""
    err.print(
        f"Serving {resolver.data.root} on {config.base_url}/ ({count} worker{plural}; Ctrl-C to stop)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    with sock:
        if not serve(AppFactory(resolver.data.root, config), sock, count):
            fail("the service did not start", code=1)
