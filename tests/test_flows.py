"""The Prefect flows end to end, on one temporary Prefect server for the session.

This is the one test module that starts a Prefect server (``prefect_test_harness``, ~13 s);
everything else about orchestration is tested on the plain library functions. Telemetry is off
and flow heartbeats are disabled (each would otherwise hold a flow run ~1 s at its end).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import shutil
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import scoarchive.flows.check_briefing
import scoarchive.flows.crawl
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import State
from prefect.testing.utilities import prefect_test_harness
from scoarchive.flows.check_briefing import check_briefing_flow
from scoarchive.flows.crawl import crawl_flow, load_flow
from scoarchive.flows.verify import verify_flow
from scoarchive.flows.watch import watch_flow

from scoarchive import warehouse
from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.orchestration import limits, schedule
from scoarchive.orchestration.schedule import WORK_POOL
from scoarchive.replica import HOSTS, ReplicaConfig, ReplicaServer, Site

ROOT = Path(__file__).resolve().parent.parent
REPLICA = ReplicaConfig(
    articles_per_host=5, documents_per_host=2, slow_seconds=0.1, large_file_bytes=2**18, bomb_bytes=2**21
)
SEEDS = [f"http://{host}/" for host in HOSTS]
EXAMPLE_PROFILE = """
name = "example"
hosts = ["example.org"]
start_urls = ["http://example.org/"]
[[rules]]
name = "everything"
pattern = "^/"
action = "follow"
"""


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect server with the scoarchive limits, as `scoarchive schedule` sets up."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        env.setenv("DO_NOT_TRACK", "1")
        with (
            prefect_test_harness(server_startup_timeout=60),
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        ):
            limits.ensure_limits(limits.limit_specs([load_profile("sco")]))
            yield PREFECT_API_URL.value()


def flow_run_id(state: State[Any]) -> UUID:
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return run_id


def artifacts(state: State[Any]) -> dict[str, list[Any]]:
    """The run's artifacts by type (markdown, table, link)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id(state)]))
        )
    by_type: dict[str, list[Any]] = {}
    for artifact in found:
        by_type.setdefault(artifact.type or "", []).append(artifact)
    return by_type


def task_runs(state: State[Any]) -> dict[str, int]:
    """Task names of the run (without the run suffix) and how many attempts each took."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id(state)]))
        )
    return {run.name.rsplit("-", 1)[0]: run.run_count for run in runs}


@dataclass
class Crawled:
    data: Path
    server: ReplicaServer
    first: State[Any]
    second: State[Any]


@pytest.fixture(scope="module")
def crawled(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The replica crawled twice through the flow (a first crawl and an unchanged re-crawl)."""
    data = tmp_path_factory.mktemp("flow-archive")
    with ReplicaServer(Site(REPLICA)) as server:
        options = {"data": str(data), "seed": SEEDS, "connect_to": server.connect_to_args(), "delay": 0}
        first = crawl_flow(**options, retries=2, return_state=True)  # the transient 503 fault answers 3rd
        second = crawl_flow(**options, retries=2, return_state=True)
        yield Crawled(data, server, first, second)


def copy_of(data: Path, target: Path) -> Path:
    shutil.copytree(data, target, symlinks=True)
    return target


def test_crawl_flow_publishes_what_was_archived_changed_and_failed(crawled: Crawled) -> None:
    assert crawled.first.is_completed(), crawled.first.message
    result = crawled.first.result()
    crawl, load = result["crawl"], result["load"]
    assert crawl["fetched"] > 50 and crawl["failed"] and load["articles_added"] > 10
    found = artifacts(crawled.first)
    (markdown,) = [a for a in found["markdown"] if a.key == "crawl-sco"]
    for line in (
        f"| pages fetched | {crawl['fetched']} |",
        f"| new articles | {load['articles_added']} |",
        f"| new article versions | {load['versions_added']} |",
        f"| new or changed captures | {crawl['new']} |",
        f"| unchanged (revisits) | {crawl['unchanged']} |",
        f"| failed | {len(crawl['failed'])} |",
        f"| WARC bytes written | {crawl['bytes_written']:,} |",
    ):
        assert line in markdown.data
    tables = {a.key: json.loads(a.data) for a in found["table"]}
    assert set(tables) == {"crawl-sco-failures", "crawl-sco-skipped"}
    rows = tables["crawl-sco-failures"]
    assert [(row["url"], row["reason"]) for row in rows] == [tuple(item) for item in crawl["failed"]]
    skipped = [(row["warc_file"], int(row["offset"]), row["reason"]) for row in tables["crawl-sco-skipped"]]
    assert skipped == [(s["warc_file"], s["warc_offset"], s["reason"]) for s in load["skipped"]]
    warcs = DataDir(crawled.data).warcs
    links = [a.data for a in found["markdown"] if a.description == "WARC file written"]  # link artifacts
    assert len(links) == len(crawl["warc_files"]) > 0
    for name, link in zip(sorted(crawl["warc_files"]), sorted(links), strict=True):
        assert f"[{name}]({(warcs / name).resolve().as_uri()})" in link
    assert task_runs(crawled.first) == {"plan-crawl": 1, "capture": 1, "load-warehouse": 1}
    _, rows = warehouse.query(crawled.data, "SELECT count(DISTINCT article_key) FROM articles")
    assert rows[0][0] == load["articles_added"]


def test_an_unchanged_recrawl_reports_revisits_and_no_new_articles(crawled: Crawled) -> None:
    crawl, load = crawled.second.result()["crawl"], crawled.second.result()["load"]
    assert crawl["unchanged"] > 0.9 * crawl["fetched"] - len(crawl["failed"]) - crawl["redirects"]
    assert load["articles_added"] == load["versions_added"] == 0
    (summary,) = [a for a in artifacts(crawled.second)["markdown"] if a.key == "crawl-sco"]
    assert f"| unchanged (revisits) | {crawl['unchanged']} |" in summary.data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def finished_runs(frontier: Path) -> int:
    if not frontier.exists():
        return 0
    db = sqlite3.connect(frontier, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM runs WHERE status = 'finished'").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is being created
        return 0
    finally:
        db.close()


@contextlib.contextmanager
def down_for_the_first_attempt(site: Site, frontier: Path) -> Iterator[str]:
    """The replica's English host (its --connect-to spec), answering once a first capture run
    has finished (having reached nothing)."""
    port = free_port()
    server = ReplicaServer(site, port=port)

    def start_after_the_first_attempt() -> None:
        deadline = time.monotonic() + 30
        while finished_runs(frontier) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.start()

    starter = threading.Thread(target=start_after_the_first_attempt)
    starter.start()
    try:
        yield f"eng.sectsco.org:80:127.0.0.1:{port}"
    finally:
        starter.join()
        server.stop()


def test_an_unreachable_site_is_retried_until_it_answers(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = scoarchive.flows.crawl.capture.with_options(retry_delay_seconds=0.5, retry_jitter_factor=None)
    monkeypatch.setattr(scoarchive.flows.crawl, "capture", quick)
    with down_for_the_first_attempt(Site(REPLICA), DataDir(tmp_path).frontier) as connect_to:
        state = crawl_flow(
            data=str(tmp_path),
            language="en",
            seed=["http://eng.sectsco.org/"],
            connect_to=[connect_to],
            delay=0,
            retries=0,
            load=False,
            return_state=True,
        )
    assert state.is_completed(), state.message
    assert task_runs(state) == {"plan-crawl": 1, "capture": 2}
    assert state.result()["crawl"]["fetched"] > 20


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seed": ["http://example.com/"]}, "is outside profile 'sco'"),
        ({"profile": "nosuch"}, "unknown profile 'nosuch'"),
        ({"language": "fr"}, "no hosts in language 'fr'"),
        (
            {"profile": "PROFILE_WITHOUT_LIMITS"},
            "global concurrency limits missing: scoarchive-host-example.org",
        ),
    ],
)
def test_bad_input_fails_at_once_with_a_clear_message(
    prefect_api: str, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    if options.get("profile") == "PROFILE_WITHOUT_LIMITS":  # a site nobody set limits up for
        path = tmp_path / "example.toml"
        path.write_text(EXAMPLE_PROFILE, encoding="utf-8")
        options = {"profile": str(path)}
    state = crawl_flow(data=str(tmp_path / "data"), **options, return_state=True)
    assert state.is_failed()
    assert message in (state.message or "")
    assert task_runs(state) == {"plan-crawl": 1}  # one attempt: nothing fetched, nothing retried
    (report,) = artifacts(state)["markdown"]
    assert message in report.data and "not retried" in report.data


def test_two_crawls_of_one_host_at_once_stay_within_its_politeness(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = load_profile("sco").politeness.host_concurrency
    together = threading.Barrier(2, timeout=30)
    capture_shared = limits.capture_shared

    async def start_together(config: Any, urls: Any = None) -> Any:
        together.wait()  # each capture runs its own event loop in its own thread
        return await capture_shared(config, urls)

    monkeypatch.setattr(limits, "capture_shared", start_together)
    site = Site(ReplicaConfig(articles_per_host=30, documents_per_host=2, faults=False))
    with ReplicaServer(site) as server:

        def run(name: str) -> State[Any]:
            return crawl_flow(
                data=str(tmp_path / name),
                language="en",
                seed=["http://eng.sectsco.org/"],
                connect_to=server.connect_to_args(),
                delay=0,
                host_concurrency=limit,
                load=False,
                return_state=True,
            )

        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(contextvars.copy_context().run, run, name) for name in ("a", "b")]
            states = [future.result() for future in runs]
        peak = server.stats.max_in_flight["eng.sectsco.org"]
    assert all(state.is_completed() for state in states), [state.message for state in states]
    summaries = [state.result()["crawl"] for state in states]
    assert summaries[0]["fetched"] == summaries[1]["fetched"] > 50
    assert peak <= limit, f"{peak} requests in flight to one host; the profile allows {limit}"
    assert peak == limit  # the slots are used, not just a lock
    spans = []
    for name in ("a", "b"):
        db = sqlite3.connect(DataDir(tmp_path / name).frontier)
        spans.append(db.execute("SELECT started, finished FROM runs").fetchone())
        db.close()
    assert max(span[0] for span in spans) < min(span[1] for span in spans), "the crawls did not overlap"


def test_verify_flow_names_a_flipped_byte_and_a_missing_file(crawled: Crawled, tmp_path: Path) -> None:
    assert verify_flow(data=str(crawled.data), return_state=True).is_completed()
    data = copy_of(crawled.data, tmp_path / "data")
    first, second = sorted(DataDir(data).warcs.glob("*.warc.gz"))
    _, rows = warehouse.query(
        data,
        f"SELECT warc_offset, url FROM captures WHERE warc_file = '{first.name}' AND status = 200 "
        "AND record_type = 'response' ORDER BY warc_offset LIMIT 1 OFFSET 5",
    )
    offset, url = int(rows[0][0]), rows[0][1]
    raw = bytearray(first.read_bytes())
    member = zlib.decompressobj(31)
    member.decompress(bytes(raw[offset:]))
    raw[offset + (len(raw) - offset - len(member.unused_data)) // 2] ^= 0x01
    first.write_bytes(bytes(raw))
    second.unlink()
    state = verify_flow(data=str(data), return_state=True)
    assert state.is_failed()
    assert f"{first.name}@{offset}" in (state.message or "") and f"{second.name}: missing" in (
        state.message or ""
    )
    found = artifacts(state)
    assert "FAILED" in found["markdown"][0].data and url in found["markdown"][0].data
    problems = json.loads(found["table"][0].data)
    assert {(row["warc_file"], row["problem"]) for row in problems} >= {(second.name, "file missing")}
    assert any(row["warc_file"] == first.name and row["offset"] == str(offset) for row in problems)


def test_load_flow_fails_on_damage_after_loading_what_is_intact(crawled: Crawled, tmp_path: Path) -> None:
    """As ``scoarchive load`` exits 1: a WARC file gone, or a record damaged, fails the run (the
    alert) and its account names them; the intact records are loaded all the same."""
    gone = copy_of(crawled.data, tmp_path / "gone")
    first, second = sorted(DataDir(gone).warcs.glob("*.warc.gz"))
    second.unlink()
    state = load_flow(data=str(gone), return_state=True)
    assert state.is_failed() and "1 damaged record(s) or missing file(s)" in (state.message or "")
    (account,) = [a for a in artifacts(state)["markdown"] if a.key == "load"]
    assert f"missing: `{second.name}`" in account.data

    damaged = copy_of(crawled.data, tmp_path / "damaged")
    first = sorted(DataDir(damaged).warcs.glob("*.warc.gz"))[0]
    raw = bytearray(first.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    first.write_bytes(bytes(raw))
    shutil.rmtree(DataDir(damaged).warehouse)  # derived: rebuilt from the WARC files
    state = load_flow(data=str(damaged), return_state=True)
    assert state.is_failed() and "damaged record(s)" in (state.message or "")
    skipped = json.loads(next(a for a in artifacts(state)["table"] if a.key == "load-skipped").data)
    assert any(row["warc_file"] == first.name and row["reason"].startswith("DAMAGED: ") for row in skipped)
    _, rows = warehouse.query(damaged, "SELECT count(DISTINCT warc_file) FROM captures")
    assert rows == [(2,)]  # both files' intact records are in


def test_check_briefing_flow_reports_and_fails_on_lost_citations(crawled: Crawled, tmp_path: Path) -> None:
    example = ROOT / "tests" / "data" / "briefings" / "example.txt"
    state = check_briefing_flow(briefing=str(example), data=str(crawled.data), return_state=True)
    assert state.is_completed(), state.message
    [report] = state.result()
    assert report["all_preserved"] and [c["match"] for c in report["citations"]] == ["alias", "alias"]
    (markdown,) = [a for a in artifacts(state)["markdown"] if a.key == "check-example"]
    assert "every citation is preserved" in markdown.data and "off by 1 day(s)" in markdown.data
    # registered briefings: one of them cites a page the archive never captured
    data = copy_of(crawled.data, tmp_path / "data")
    (data / "briefings").mkdir()
    shutil.copy(example, data / "briefings" / "example.txt")
    lost = "Seen [1].\n\n[1] Gone, 1 May 2020, in: http://eng.sectsco.org/news/20200501/1.html\n"
    (data / "briefings" / "lost.txt").write_text(lost, encoding="utf-8")
    state = check_briefing_flow(data=str(data), return_state=True)
    assert state.is_failed() and "1 citation(s) not preserved" in (state.message or "")
    assert "20200501/1.html" in (state.message or "")


NEW_CITATION = (
    "# Note\n\nThe Secretary-General met Alibaba [1].\n\n"
    "[1] SCO Secretary-General’s videoconference, 7 June 2021, in: "
    "http://eng.sectsco.org/news/20210607/765371.html\n"
)
CITED_PATH = "/20210607/765371.html"  # where the replica serves the cited article now


class Waits(logging.Handler):
    """What runs said they wait for: every slot of a host taken, the warehouse slot taken."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.host, self.warehouse = threading.Event(), threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("every slot of"):
            self.host.set()
        elif message.startswith("the warehouse slot is taken"):
            self.warehouse.set()


@pytest.fixture
def waits() -> Iterator[Waits]:
    logger = logging.getLogger(limits.__name__)
    handler, level = Waits(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def new_briefing(tmp_path: Path) -> tuple[Path, Path]:
    """A briefing citing a page the (empty) data directory beside it has never captured."""
    briefing = tmp_path / "new.md"
    briefing.write_text(NEW_CITATION, encoding="utf-8")
    data = tmp_path / "data"
    DataDir(data).create()
    return briefing, data


def test_check_briefing_flow_captures_and_loads_missing_pages_within_the_shared_slots(
    prefect_api: str, tmp_path: Path, waits: Waits
) -> None:
    """While other runs hold every slot of the cited host, the check fetches nothing (robots.txt
    included); while another load holds the warehouse slot, it loads nothing; then it archives."""
    briefing, data = new_briefing(tmp_path)
    host_limit = limits.host_limit_name("eng.sectsco.org")
    size = load_profile("sco").politeness.host_concurrency
    site = Site(ReplicaConfig(articles_per_host=5, documents_per_host=2, faults=False))
    with ReplicaServer(site) as server, get_client(sync_client=True) as client, ThreadPoolExecutor(1) as pool:
        taken = client.increment_concurrency_slots_with_lease(
            names=[host_limit], slots=size, mode="concurrency", lease_duration=120
        ).json()["lease_id"]
        with limits.warehouse_slot(), contextlib.ExitStack() as host_slots:
            host_slots.callback(client.release_concurrency_slots_with_lease, taken)  # a no-op once released
            run = pool.submit(
                contextvars.copy_context().run,
                check_briefing_flow,
                briefing=str(briefing),
                data=str(data),
                capture_missing=True,
                connect_to=server.connect_to_args(),
                delay=0,
                return_state=True,
            )
            assert waits.host.wait(60), "the check never asked for a slot of the cited host"
            assert server.stats.total == 0
            client.release_concurrency_slots_with_lease(taken)
            assert waits.warehouse.wait(60), "the check never asked for the warehouse slot"
            assert CITED_PATH in {request.path_qs for request in server.stats.requests}
            assert not DataDir(data).warehouse.exists() or not any(DataDir(data).warehouse.iterdir())
        state = run.result(timeout=120)
    assert state.is_completed(), state.message
    [report] = state.result()
    [citation] = report["citations"]
    assert citation["resolved"] and citation["captured_now"] and citation["match"] == "alias"
    assert task_runs(state) == {"check-briefing": 1}


def test_a_check_whose_capture_reaches_nothing_is_retried_until_the_site_answers(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = scoarchive.flows.check_briefing.check.with_options(
        retry_delay_seconds=0.5, retry_jitter_factor=None
    )
    monkeypatch.setattr(scoarchive.flows.check_briefing, "check", quick)
    briefing, data = new_briefing(tmp_path)
    site = Site(ReplicaConfig(articles_per_host=5, faults=False))
    with down_for_the_first_attempt(site, DataDir(data).frontier) as connect_to:
        state = check_briefing_flow(
            briefing=str(briefing),
            data=str(data),
            capture_missing=True,
            connect_to=[connect_to],
            delay=0,
            return_state=True,
        )
    assert state.is_completed(), state.message
    assert task_runs(state) == {"check-briefing": 2}
    [report] = state.result()
    assert report["citations"][0]["captured_now"] and report["all_preserved"]


def test_watch_flow_finds_drift_and_captures_the_changed_page_again(crawled: Crawled, tmp_path: Path) -> None:
    data = copy_of(crawled.data, tmp_path / "data")
    change = crawled.server.site.mutate()
    state = watch_flow(
        data=str(data), language="en", connect_to=crawled.server.connect_to_args(), delay=0, return_state=True
    )
    assert state.is_completed(), state.message
    result = state.result()
    assert result["counts"]["changed"] == 1 and result["counts"]["gone"] == 1
    assert result["recaptured"]["new"] >= 1
    assert task_runs(state) == {"plan-watch": 1, "check-live": 1, "recapture": 1, "load-warehouse": 1}
    _, rows = warehouse.query(data, f"SELECT count(*) FROM article_versions WHERE url = '{change.edited}'")
    assert rows[0][0] == 2
    found = artifacts(state)
    assert change.deleted in found["markdown"][0].data
    assert {row["state"] for row in json.loads(found["table"][0].data)} == {"changed", "gone"}


def wait_for(run_ids: list[UUID], timeout: float = 120) -> list[FlowRun]:
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = [client.read_flow_run(run_id) for run_id in run_ids]
            if all(run.state and run.state.is_final() for run in runs) or time.monotonic() > deadline:
                return runs
            time.sleep(0.25)


def response_set(data: Path) -> set[tuple[str, str, int]]:
    _, rows = warehouse.query(
        data, "SELECT url, payload_digest, status FROM captures WHERE record_type = 'response'"
    )
    return {(url, digest, int(status)) for url, digest, status in rows}


def test_two_workers_split_one_crawl_into_the_same_archive(prefect_api: str, tmp_path: Path) -> None:
    """Capture runs on two process workers (one per language shard, each writing its own WARC
    files into the shared data directory), then the one load: the archive one worker makes."""
    home = tmp_path / "home"
    deployed = schedule.setup(prefect_api, home)  # work pool, limits, `prefect deploy --all`
    assert deployed == schedule.deployment_names(ROOT / "deployments" / "prefect.yaml")  # every one deployed
    with get_client(sync_client=True) as client:
        english = client.read_deployment_by_name("crawl/crawl-english")
        loader = client.read_deployment_by_name("load/load-warehouse")
        for deployment in (english, loader):
            assert deployment.work_pool_name == WORK_POOL
            assert deployment.global_concurrency_limit and deployment.global_concurrency_limit.limit == 1
        assert english.schedules[0].schedule.cron == "0 */6 * * *"  # type: ignore[union-attr]
        assert english.schedules[0].schedule.timezone == "Europe/Moscow"  # type: ignore[union-attr]
    workers = ("worker-a", "worker-b")
    for name in workers:
        schedule.start_worker(
            prefect_api, home, name=name, limit=1, role=name, PREFECT_WORKER_QUERY_SECONDS="1"
        )
    site = Site(ReplicaConfig(articles_per_host=5, documents_per_host=2, faults=False))
    try:  # no fault pages: a transient 503 would make the two archives differ by timing alone
        with ReplicaServer(site) as server:
            connect = server.connect_to_args()
            one = tmp_path / "one-worker"
            alone = crawl_flow(data=str(one), seed=SEEDS, connect_to=connect, delay=0, return_state=True)
            assert alone.is_completed(), alone.message
            shared = tmp_path / "shared"
            shard = {"data": str(shared), "connect_to": connect, "delay": 0, "load": False}
            shards = [
                run_deployment(
                    f"crawl/crawl-{name}", parameters={**shard, "seed": [f"http://{host}/"]}, timeout=0
                )
                for name, host in zip(("english", "russian", "chinese"), HOSTS, strict=True)
            ]
            captured = wait_for([run.id for run in shards])
    finally:
        schedule.stop(home, roles=workers)
    assert all(run.state and run.state.is_completed() for run in captured), [run.state for run in captured]
    assert {run.labels.get("prefect.worker.name") for run in captured} == set(workers)
    assert len(list(DataDir(shared).warcs.glob("*.warc.gz"))) == 3  # each capture run wrote its own
    # the load deployment's flow, in-process here (on a worker it only adds a process start)
    assert load_flow(data=str(shared), return_state=True).is_completed()
    assert response_set(shared) == response_set(one)
