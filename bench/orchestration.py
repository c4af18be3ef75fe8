"""Orchestration cost: the same crawl and load through the Prefect flow and by the library, same run.

A Prefect server (SQLite, as ``scoarchive schedule`` runs it) and the replica are separate
processes; the library crawl (``scoarchive.capture.crawl`` then ``warehouse.load``) and the
flow (``flows.crawl:crawl_flow``: plan, capture with shared host slots, load, artifacts) each
crawl a fresh data directory, alternately, ``--rounds`` times. The share printed is
(flow - library) / flow of the median times: what orchestration costs on top of the work.

The default is a crawl at the profile's politeness (1 s between requests to a host, 2 in
flight), as scheduled crawls run; ``--delay 0`` shows the worst case, a crawl bound by CPU on
this machine where server, replica and crawler share the cores.

    python bench/orchestration.py [--articles 10] [--delay 1.0] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scoarchive.orchestration.options import crawl_config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from bench.capture import free_port, start_replica  # noqa: E402
from scoarchive import warehouse  # noqa: E402
from scoarchive.capture.crawler import crawl  # noqa: E402
from scoarchive.core.profile import load_profile  # noqa: E402
from scoarchive.orchestration import limits, schedule  # noqa: E402
from scoarchive.replica import HOSTS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10, help="news articles per host")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds between requests to a host")
    parser.add_argument("--host-concurrency", type=int, default=2, help="per host, as the profile")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-orchestration-"))
    port = free_port()
    replica = start_replica(port, "--articles", str(args.articles), "--no-faults")
    home = work / "prefect-data"
    try:
        started = time.monotonic()
        api_url, _ = schedule.start_server(home, free_port())
        print(f"Prefect server (SQLite) up in {time.monotonic() - started:.1f} s at {api_url}")
        run(args, work, port, api_url)
    finally:
        schedule.stop(home)
        replica.terminate()
        replica.wait()
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, port: int, api_url: str) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from scoarchive.flows.crawl import crawl_flow

    connect_to = [f"{host}:80:127.0.0.1:{port}" for host in HOSTS]
    options = {
        "seeds": [f"http://{host}/" for host in HOSTS],
        "connect_to": connect_to,
        "delay": args.delay,
        "host_concurrency": args.host_concurrency,
    }
    library, through_flow, pages = [], [], 0
    with temporary_settings({PREFECT_API_URL: api_url}):
        limits.ensure_limits(limits.limit_specs([load_profile("sco")]))
        for round_number in range(args.rounds):
            data = work / f"library-{round_number}"
            started = time.monotonic()
            summary = crawl(crawl_config("sco", data, **options))  # type: ignore[arg-type]
            warehouse.load(data)
            library.append(time.monotonic() - started)
            pages = summary.fetched

            data = work / f"flow-{round_number}"
            started = time.monotonic()
            crawl_flow(
                data=str(data),
                seed=options["seeds"],
                connect_to=connect_to,
                delay=args.delay,
                host_concurrency=args.host_concurrency,
            )
            through_flow.append(time.monotonic() - started)
    plain, flow = statistics.median(library), statistics.median(through_flow)
    print(f"pages per crawl: {pages} (3 hosts, delay {args.delay} s, {args.host_concurrency} per host)")
    print(f"library crawl+load: {plain:.2f} s   flow: {flow:.2f} s   (medians of {args.rounds})")
    print(f"orchestration share: {100 * (flow - plain) / flow:.1f}% of the flow's time")


if __name__ == "__main__":
    main()
