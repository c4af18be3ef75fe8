"""Operator commands: ``init``, ``status``, ``schedule``, ``verify``, ``watch``.

``status`` works without Prefect (it shows the crawl runs the frontier recorded); ``verify`` and
``watch`` are what the scheduled flows run, callable by hand.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scoarchive.capture.live import Live
from scoarchive.cli.common import (
    DataOption,
    JsonOption,
    archive_path,
    data_path,
    err,
    fail,
    on_interrupt,
    out,
    user_errors,
)
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir, connect_to_rules
from scoarchive.orchestration import schedule, status
from scoarchive.orchestration.options import for_language
from scoarchive.orchestration.retry import OpsError
from scoarchive.upkeep import verify
from scoarchive.upkeep.watch import watch


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def status_command(
    data: DataOption = None,
    api: Annotated[
        str | None, typer.Option(help="Prefect API URL [default: $PREFECT_API_URL, else the scheduled one].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The archive at a glance: size, the newest article and capture per host, the last runs."""
    with user_errors():
        state = status.status(archive_path(data), api)
    if as_json:
        out.print_json(json.dumps(state.to_dict()))
        return
    loaded = "no warehouse yet" if state.loaded_files is None else f"{state.loaded_files} loaded"
    out.print(
        f"Archive {state.data_dir}: {state.warc_files} WARC files, {_size(state.warc_bytes)}"
        f" ({state.open_files} being written; {loaded})",
        highlight=False,
    )
    hosts = Table(title="newest per host")
    for name in ("host", "newest article (published)", "newest capture (UTC)"):
        hosts.add_column(name, overflow="fold")
    for host in state.hosts:
        article = f"{host.published} {host.newest_article}\n{host.article_url}" if host.article_url else "-"
        capture = f"{(host.newest_capture or '')[:19]}\n{host.capture_url or ''}"
        hosts.add_row(host.host, article, capture)
    out.print(hosts if state.hosts else "No captures yet.")
    if state.prefect_api:
        runs = Table(title=f"last flow runs ({state.prefect_api})")
        for name in ("flow", "deployment", "run", "state", "started", "seconds"):
            runs.add_column(name, overflow="fold")
        for run in state.flow_runs:
            started = run.started.isoformat(timespec="seconds") if run.started else ""
            runs.add_row(
                run.flow, run.deployment or "", run.name, run.state, started, f"{run.seconds or 0:.0f}"
            )
        out.print(runs if state.flow_runs else "Prefect answers, but no flow has run yet.")
    else:
        err.print("Prefect is not reachable: no flow runs to show.", highlight=False)
    crawls = Table(title="last crawl runs")
    for name in ("run", "profile", "status", "started", "fetched", "new", "failed"):
        crawls.add_column(name, overflow="fold")
    for crawl in state.crawl_runs:
        crawls.add_row(
            crawl.run_id,
            crawl.profile,
            crawl.status,
            crawl.started[:19],
            *("" if value is None else str(value) for value in (crawl.fetched, crawl.new, crawl.failed)),
        )
    out.print(crawls if state.crawl_runs else "No crawl has run yet.")


def schedule_command(
    data: DataOption = None,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the worker and server started here.")] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of the Prefect server.")
    ] = schedule.DEFAULT_PORT,
    prefect_file: Annotated[
        Path | None,
        typer.Option(
            "--prefect-file",
            metavar="PATH",
            help="Deployments to apply [default: the packaged deployments/prefect.yaml].",
        ),
    ] = None,
    setup_only: Annotated[
        bool,
        typer.Option(
            "--setup-only",
            help="Only create the work pool, limits and deployments on $PREFECT_API_URL (systemd).",
        ),
    ] = False,
) -> None:
    """Run the archive on a schedule on this machine: Prefect server, deployments and a worker.

    The server keeps its SQLite database under DATA/prefect (PREFECT_HOME), telemetry off.
    Run it again after editing the deployments; --stop ends what it started.
    """
    with user_errors():
        root = archive_path(data)
        if stop:
            stopped = schedule.stop(root)
            out.print("Stopped " + ", ".join(stopped) if stopped else "Nothing was running.", highlight=False)
            return
        try:
            schedule.deployment_names(prefect_file or schedule.packaged_prefect_file())
        except OpsError as exc:
            fail(str(exc))
        try:
            if setup_only:
                api = status.api_url_for(root)
                if api is None:
                    fail("--setup-only needs PREFECT_API_URL (the server to set up)")
                names = schedule.setup(api, root, prefect_file)
                out.print(f"Set up {api}: deployments {', '.join(names)}", highlight=False)
                return
            err.print("Starting the Prefect server and worker (first start takes ~15 s) ...")
            result = schedule.schedule(root, port=port, prefect_file=prefect_file)
        except OpsError as exc:
            fail(str(exc), code=1)
    out.print(f"Prefect API and UI: {result.api_url.removesuffix('/api')}", highlight=False)
    out.print(f"Deployments: {', '.join(result.deployments)}", highlight=False)
    out.print(
        f"Worker pid {result.worker_pid}; logs in {status.prefect_home(root) / 'logs'}",
        highlight=False,
        soft_wrap=True,
    )
    stop_command = f"scoarchive schedule --stop --data {shlex.quote(str(root))}"
    out.print(f"Stop with: {stop_command}", highlight=False, soft_wrap=True)  # one line, to copy whole


def init_command(data: DataOption = None) -> None:
    """Create a data directory (or adopt one made before data directories had a marker).

    Commands other than crawl and demo refuse a path that is not a data directory, so that a
    mistyped --data is an error, not an empty archive.
    """
    with user_errors():
        data_dir = DataDir(data_path(data))
        created = data_dir.create()
    verb = "Created" if created else "Already"
    where = shlex.quote(str(data_dir.root))
    out.print(f"{verb} a scoarchive data directory: {data_dir.root}", highlight=False, soft_wrap=True)
    if created:
        out.print(f"Next: scoarchive crawl --data {where}", highlight=False, soft_wrap=True)


def verify_command(data: DataOption = None, as_json: JsonOption = False) -> None:
    """Fixity: re-read every WARC record, recompute its digests, compare with the warehouse.

    Exit status 1 when a record is damaged or mismatched or a referenced file is missing.
    """
    with user_errors():
        root = archive_path(data)
    with on_interrupt(lambda: "verify interrupted: it only reads, nothing was changed; run it again"):
        report = verify.verify(root)
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
    else:
        out.print(report.to_markdown(), markup=False, highlight=False)
    if not report.ok:
        fail(report.headline(), code=1)


def watch_command(
    data: DataOption = None,
    profile: Annotated[str, typer.Option(help="Site profile name or path to a profile TOML.")] = "sco",
    language: Annotated[str | None, typer.Option(help="Only this language's hosts (en, ru, zh).")] = None,
    url: Annotated[
        list[str] | None, typer.Option(help="Check this URL (repeatable) instead of every archived article.")
    ] = None,
    connect_to: Annotated[
        list[str] | None, typer.Option(help="HOST:PORT:ADDR:ADDRPORT as in curl (repeatable).")
    ] = None,
    delay: Annotated[
        float | None, typer.Option(min=0, help="Seconds between requests to one host [default: profile].")
    ] = None,
    host_concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight per host [default: profile].")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Connect and read timeout.")] = 30.0,
    as_json: JsonOption = False,
) -> None:
    """Link rot and drift: are archived articles still live (alive, moved, gone, changed)?

    Only checks; the scheduled watch flow also captures changed pages again. Exit status 1 when
    any page is no longer as archived (moved, gone, changed, unarchived, or unreachable).
    """
    interrupted = "watch interrupted: it only checks, nothing was archived; run it again"
    with user_errors(), on_interrupt(lambda: interrupted):
        site = for_language(load_profile(profile), language)
        report = watch(
            archive_path(data),
            site,
            urls=url,
            language=language,
            connect_to=connect_to_rules(connect_to or []),
            timeout=timeout,
            delay=delay,
            host_concurrency=host_concurrency,
        )
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
    else:
        out.print(report.to_markdown(), markup=False, highlight=False)
    if any(check.state is not Live.ALIVE for check in report.checks):
        raise typer.Exit(1)
