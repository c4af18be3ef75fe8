"""Citation commands of the ``scoarchive`` CLI: ``resolve`` and ``serve``.

Registered on the main app by importing this module from ``scoarchive.cli``. Both read the
warehouse's published snapshot (through the resolver's derived index), so they work while a
crawl or a load runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scoarchive.cli.common import DataOption, data_dir, err, fail, out, user_errors
from scoarchive.core.dates import parse_datetime
from scoarchive.resolve import Change, Resolution, Resolver, update_index
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
        resolver = Resolver(data_dir(data))
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


def update_index_after_load(data: Path) -> None:
    """After ``load``, ``reindex`` or ``crawl``: bring the resolver's index up to date, on stderr.

    So that no citation lookup waits for it (see :func:`scoarchive.resolve.update_index`). A
    failure here is not the load's: the first lookup updates the index itself.
    """
    try:
        update = update_index(data)
    except WarehouseError as exc:
        err.print(f"resolver index not updated ({exc}); the first lookup will update it", markup=False)
        return
    if update.change is not Change.NONE:
        err.print(
            f"resolver index: {update.change} {update.captures:,} captures in {update.seconds:.2f} s",
            markup=False,
        )


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
) -> None:
    """Serve resolution, Memento (TimeGate, TimeMaps) and replay over HTTP.

    Open http://127.0.0.1:8080/ to search; cite http://HOST:PORT/timegate/URL in tools that speak Memento.
    """
    import uvicorn

    from scoarchive.service.replay import create_app

    with user_errors():
        resolver = Resolver(data_dir(data))
        try:
            resolver.index()  # build the index now, not during the first request
        except WarehouseError as exc:
            fail(str(exc), code=1)
    err.print(f"Serving {resolver.data.root} on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        uvicorn.run(
            create_app(resolver.data.root, resolver=resolver),
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
            date_header=False,
        )
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", code=1)
