"""Orchestration cost: the same crawl and load through the Prefect flow and by the library, same run.

A Prefect server (SQLite, as ``scoarchive schedule`` runs it) and the replica are separate
processes; the library crawl (``scoarchive.capture.crawl`` then ``warehouse.load``) and the
flow (``scoarchive.flows.crawl.crawl_flow``: plan, capture with shared host slots, load in the
warehouse slot, artifacts) each crawl a fresh data directory, alternately, ``--rounds`` times
(three by default). Each round's share is (flow - library) / flow: what orchestration costs on
top of the work; the spread of the rounds is printed with it.

Where the flow's extra time goes comes from Prefect's own records of the run (its task runs'
start and end) and the library's own timings inside them (the crawl's and the load's
``seconds``); its own phases are all of them but those two timings' differences, which carry
the machine's noise (one load is a second slower than the next here) as well as any request
kept waiting for a host slot. Prefect's floor, the cost of any flow run whatever it does
(create it, start it, its heartbeat thread, its final state), is an empty flow run timed in
the same round.

Before the rounds, one small crawl goes through each path unmeasured: a freshly started server
answers the first requests of its first flow run slowly (about 2 s in all here, once per server
start) and a process pays for its first API client once; scheduled crawls run against a server
that has been up for days.

The default is a crawl at the profile's politeness (1 s between requests to a host, 2 in
flight), as scheduled crawls run; ``--delay 0`` shows the worst case, a crawl bound by CPU on
this machine where server, replica and crawler share the cores.

    python bench/orchestration.py [--articles 10] [--delay 1.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from bench.capture import free_port, start_replica  # noqa: E402
from scoarchive import warehouse  # noqa: E402
from scoarchive.capture.crawler import crawl  # noqa: E402
from scoarchive.core.profile import load_profile  # noqa: E402
from scoarchive.orchestration import limits, schedule  # noqa: E402
from scoarchive.orchestration.options import crawl_config  # noqa: E402
from scoarchive.replica import HOSTS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10, help="news articles per host")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds between requests to a host")
    parser.add_argument("--host-concurrency", type=int, default=2, help="per host, as the profile")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--empty-flows", type=int, default=3, help="empty flow runs timed per round")
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


WORK = ("crawl", "load-work")  # phases that compare the library's own timings


@dataclass
class Round:
    library: float
    flow: float
    floor: float  # median empty flow run, heartbeats off
    beating: float  # the same with the flow heartbeat on, as deployments run
    pages: int
    phases: dict[str, float]

    @property
    def share(self) -> float:
        return 100 * (self.flow - self.library) / self.flow

    @property
    def own(self) -> float:
        """The flow's own phases: its extra time but for the library's work inside its tasks,
        which differs from the library round's by the machine's noise as much as anything."""
        return sum(value for name, value in self.phases.items() if name not in WORK)


def run(args: argparse.Namespace, work: Path, port: int, api_url: str) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from scoarchive.flows.crawl import crawl_flow

    @flow(name="empty")
    def empty_flow() -> None:
        """Nothing: what any flow run costs."""

    connect_to = [f"{host}:80:127.0.0.1:{port}" for host in HOSTS]
    options: dict[str, Any] = {
        "seeds": [f"http://{host}/" for host in HOSTS],
        "connect_to": connect_to,
        "delay": args.delay,
        "host_concurrency": args.host_concurrency,
    }

    def through_library(data: Path, **extra: Any) -> tuple[float, dict[str, float], int]:
        started = time.monotonic()
        summary = crawl(crawl_config("sco", data, **{**options, **extra}))
        report = warehouse.load(data)
        return time.monotonic() - started, {"crawl": summary.seconds, "load": report.seconds}, summary.fetched

    def through_flow(data: Path, **extra: Any) -> tuple[float, Any, float]:
        called, started = time.time(), time.monotonic()
        parameters = {"delay": args.delay, "host_concurrency": args.host_concurrency, **extra}
        state = crawl_flow(
            data=str(data), seed=options["seeds"], connect_to=connect_to, return_state=True, **parameters
        )
        seconds = time.monotonic() - started
        if not state.is_completed():
            raise SystemExit(f"the flow run failed: {state.message}")
        return seconds, state, called

    rounds: list[Round] = []
    with temporary_settings({PREFECT_API_URL: api_url}):
        limits.ensure_limits(limits.limit_specs([load_profile("sco")]))
        through_library(work / "warm-library", max_pages=6, delay=0)
        cold, _, _ = through_flow(work / "warm-flow", max_pages=6, delay=0)
        print(f"warm-up, not counted: the server's first flow run (6 pages, delay 0) took {cold:.2f} s")
        for number in range(args.rounds):
            library, inside, pages = through_library(work / f"library-{number}")
            flow_seconds, state, called = through_flow(work / f"flow-{number}")
            floor = {beat: empty_runs(empty_flow, args.empty_flows, beat) for beat in (False, True)}
            phases = flow_phases(state, called, flow_seconds, inside)
            done = Round(library, flow_seconds, floor[False], floor[True], pages, phases)
            rounds.append(done)
            print(
                f"round {number + 1}: library {library:.2f} s   flow {flow_seconds:.2f} s   "
                f"share {done.share:.1f}%   (empty flow run {done.floor:.2f} s, "
                f"{done.beating:.2f} s with heartbeat)"
            )
            extra = "  ".join(f"{name} {value:+.2f}" for name, value in phases.items())
            print(f"  flow - library = {extra}   (own phases {done.own:+.2f} s)")
    summarise(args, rounds)


def empty_runs(empty_flow: Any, runs: int, heartbeat: bool) -> float:
    """Median seconds of an empty flow run, with Prefect's flow heartbeat on (its default) or off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    frequency = get_current_settings().flows.heartbeat_frequency if heartbeat else None
    seconds = []
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: frequency}):
        for _ in range(runs):
            started = time.monotonic()
            empty_flow()
            seconds.append(time.monotonic() - started)
    return statistics.median(seconds)


def flow_phases(state: Any, called: float, seconds: float, library: dict[str, float]) -> dict[str, float]:
    """The flow's time beyond the library's, by phase, from Prefect's records of the run.

    ``start``: the call to the first task's start (create the flow run, set it running, start
    its heartbeat, create the task run); ``plan``: the plan task; ``tasks``: between tasks;
    ``capture``/``load``: each task's time beyond the library's timing inside it (API client,
    host slots held and given back; the warehouse slot); ``crawl``/``load-work``: the library
    timings inside the flow minus the same timings of the library round (requests waiting on
    host slots, and noise); ``end``: after the last task (artifacts, final state, heartbeat).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    span = {run.name.rsplit("-", 1)[0]: (stamp(run.start_time), stamp(run.end_time)) for run in tasks}
    result = state.result()
    crawl_seconds, load_seconds = result["crawl"]["seconds"], result["load"]["seconds"]
    (plan_start, plan_end), (capture_start, capture_end), (load_start, load_end) = (
        span["plan-crawl"],
        span["capture"],
        span["load-warehouse"],
    )
    returned = called + seconds
    return {
        "start": plan_start - called,
        "plan": plan_end - plan_start,
        "tasks": (capture_start - plan_end) + (load_start - capture_end),
        "capture": capture_end - capture_start - crawl_seconds,
        "crawl": crawl_seconds - library["crawl"],
        "load": load_end - load_start - load_seconds,
        "load-work": load_seconds - library["load"],
        "end": returned - load_end,
    }


def stamp(moment: datetime | None) -> float:
    if moment is None:
        raise SystemExit("a run without start or end time")
    return moment.timestamp()


def summarise(args: argparse.Namespace, rounds: list[Round]) -> None:
    shares = [r.share for r in rounds]
    plain, flow = statistics.median(r.library for r in rounds), statistics.median(r.flow for r in rounds)
    floor = statistics.median(r.floor for r in rounds)
    politeness = f"delay {args.delay} s, {args.host_concurrency} per host"
    print(f"pages per crawl: {rounds[-1].pages} (3 hosts, {politeness})")
    print(f"library crawl+load: {plain:.2f} s   flow: {flow:.2f} s   (medians of {len(rounds)})")
    print(
        f"orchestration share: {statistics.median(shares):.1f}% of the flow's time "
        f"(median of {len(rounds)}; min {min(shares):.1f}%, max {max(shares):.1f}%; "
        "each: " + ", ".join(f"{share:.1f}%" for share in shares) + ")"
    )
    names = rounds[0].phases
    medians = {name: statistics.median(r.phases[name] for r in rounds) for name in names}
    print("median flow - library by phase: " + "  ".join(f"{n} {v:+.2f} s" for n, v in medians.items()))
    own = [r.own for r in rounds]
    middle = statistics.median(own)
    print(
        f"the flow's own phases (all but {' and '.join(WORK)}): median {middle:.2f} s "
        f"(min {min(own):.2f}, max {max(own):.2f}), {100 * middle / flow:.1f}% of the flow's time"
    )
    beating = statistics.median(r.beating for r in rounds)
    print(
        f"Prefect's floor: an empty flow run takes {floor:.2f} s (median), {100 * floor / flow:.1f}% of "
        f"the flow's time; {beating:.2f} s with its heartbeat thread, which sleeps in 1 s steps and is "
        "joined when the run ends: 0-1 s more per run (about 0.5 s for a long run)"
    )


if __name__ == "__main__":
    main()
