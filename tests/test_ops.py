"""scoarchive.ops (and .limits, .status, .schedule, .reports) and the operator commands without a
Prefect server: crawl settings, retry classification, status from the frontier, run reports.
(With a server: test_flows.py.)"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import crawl_replica
from typer.testing import CliRunner

from scoarchive import warehouse
from scoarchive.capture.config import CrawlError
from scoarchive.capture.crawler import Crawler
from scoarchive.cli import operations as cli_ops
from scoarchive.cli.main import app
from scoarchive.core.profile import ProfileError, load_profile
from scoarchive.core.settings import DataDir, DataDirError
from scoarchive.orchestration import limits, reports, schedule, status
from scoarchive.orchestration.options import crawl_config, for_language
from scoarchive.orchestration.retry import CaptureIncomplete, retry_transient
from scoarchive.replica import ReplicaConfig, ReplicaServer, Site
from scoarchive.upkeep.verify import FixityPlan
from scoarchive.warc.reader import iter_records

SMALL = ReplicaConfig(articles_per_host=4, documents_per_host=1, faults=False)
assert cli_ops  # registers the operator commands on the app (until cli.py imports it)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_api() -> str:
    """An API address nothing answers on (status must fall back quickly)."""
    return f"http://127.0.0.1:{free_port()}/api"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("ops-archive")
    with ReplicaServer(Site(SMALL)) as server:
        crawl_replica(server, data)
        crawl_replica(server, data)  # an unchanged re-crawl: revisits are captures too
    return data


def test_a_language_narrows_the_profile_to_its_hosts() -> None:
    sco = load_profile("sco")
    english = for_language(sco, "en")
    assert english.hosts == ("eng.sectsco.org",)
    assert english.start_urls == ("https://eng.sectsco.org/",)
    assert english.in_scope("http://eng.sectsco.org/news/") and not english.in_scope(
        "http://rus.sectsco.org/"
    )
    assert for_language(sco, None) is sco
    with pytest.raises(ProfileError, match="no hosts in language 'fr'"):
        for_language(sco, "fr")


def test_crawl_config_keeps_the_seeds_of_the_language_and_refuses_none(tmp_path: Path) -> None:
    seeds = ["http://eng.sectsco.org/", "http://rus.sectsco.org/"]
    config = crawl_config(
        "sco", tmp_path, language="ru", seeds=seeds, connect_to=["rus.sectsco.org:80:127.0.0.1:9"]
    )
    assert list(config.seeds) == ["http://rus.sectsco.org/"] and config.connect_to[0].address_port == 9
    with pytest.raises(ProfileError, match="no seed"):
        crawl_config("sco", tmp_path, language="zh", seeds=seeds)
    with pytest.raises(CrawlError, match="outside profile"):
        Crawler(crawl_config("sco", tmp_path, seeds=["http://example.com/"]))


def test_limits_are_one_per_host_at_the_profiles_concurrency_and_one_for_the_warehouse() -> None:
    specs = limits.limit_specs([load_profile("sco")])
    assert specs == {
        "scoarchive-warehouse": 1,
        "scoarchive-host-eng.sectsco.org": 2,
        "scoarchive-host-rus.sectsco.org": 2,
        "scoarchive-host-chn.sectsco.org": 2,
    }


def test_only_transient_failures_are_retried() -> None:
    from prefect.states import Failed

    from scoarchive.warehouse import WarehouseBusy

    def retried(exc: BaseException) -> bool:
        return retry_transient(None, None, Failed(data=exc))

    assert retried(CaptureIncomplete("hosts down")) and retried(WarehouseBusy("busy"))
    assert retried(ConnectionRefusedError()) and retried(TimeoutError())
    for bad_input in (CrawlError("seed off scope"), ProfileError("unknown profile"), ValueError("x")):
        assert not retried(bad_input)
    assert not retried(DataDirError("not writable")) and not retried(limits.LimitsMissing("no limit"))


def test_a_busy_servers_503s_are_asked_again_within_a_second() -> None:
    """The slot calls' response hook: Prefect's client honours Retry-After, else waits 2 s, 4 s..."""
    request = httpx.Request("POST", "http://127.0.0.1:4200/api/v2/concurrency_limits/increment-with-lease")
    hints = []
    for _ in range(6):  # Prefect's client asks again 5 times by default
        response = httpx.Response(503, request=request)
        limits.retry_soon(response)
        hints.append(float(response.headers["Retry-After"]))
    assert hints == [0.05, 0.15, 0.45, 1.0, 1.0, 1.0]
    other = httpx.Request("POST", request.url)  # each request counts its own answers
    for code, headers, hint in ((503, {}, "0.05"), (503, {"Retry-After": "7"}, "7"), (423, {}, None)):
        response = httpx.Response(code, headers=headers, request=other)
        limits.retry_soon(response)
        assert response.headers.get("Retry-After") == hint


def test_batches_cover_everything_in_order() -> None:
    names = [f"{n}.warc.gz" for n in range(7)]
    assert FixityPlan(names, []).batches(3) == [names[0:3], names[3:5], names[5:7]]
    assert FixityPlan(["a"], []).batches(4) == [["a"]] and FixityPlan([], []).batches(4) == []


def newest_dates(crawled: Path, statuses: range) -> dict[str, str]:
    """Per host, the newest WARC-Date of a capture whose HTTP status is in ``statuses``."""
    newest: dict[str, str] = {}
    for path in sorted((crawled / "warcs").glob("*.warc.gz")):
        for _, record in iter_records(path):
            if (
                record.rec_type in ("response", "revisit")
                and int(record.http_headers.get_statuscode()) in statuses
            ):
                host = status._host_of(record.rec_headers.get_header("WARC-Target-URI"))
                newest[host] = max(newest.get(host, ""), record.rec_headers.get_header("WARC-Date"))
    return newest


def test_newest_article_and_capture_per_host(crawled: Path, tmp_path: Path) -> None:
    # before a load: the newest full capture the frontier knows, and no article yet
    before = {h.host: h for h in status.status(crawled, api_url=closed_api()).hosts}
    assert {host: h.newest_capture for host, h in before.items()} == newest_dates(crawled, range(200, 201))
    assert all(h.newest_article is None for h in before.values())
    # once loaded: every capture below 400 counts, and the newest published article is named
    copy = tmp_path / "data"
    shutil.copytree(crawled, copy)
    warehouse.load(copy)
    after = {h.host: h for h in status.status(copy, api_url=closed_api()).hosts}
    assert {host: h.newest_capture for host, h in after.items()} == newest_dates(crawled, range(400))
    site = Site(SMALL)
    for host, state in after.items():
        newest = max(site.articles(host, kind=None), key=lambda article: article.published)
        assert state.published == newest.published.isoformat()
        assert state.newest_article in {
            a.title for a in site.articles(host, kind=None) if a.published == newest.published
        }


def test_status_without_prefect_shows_frontier_runs_size_and_freshness(crawled: Path) -> None:
    state = status.status(crawled, api_url=closed_api())
    assert state.prefect_api is None and not state.flow_runs
    assert [run.status for run in state.crawl_runs] == ["finished", "finished"]
    assert state.crawl_runs[0].fetched == state.crawl_runs[1].fetched > 0
    warcs = list((crawled / "warcs").glob("*.warc.gz"))
    assert state.warc_files == len(warcs) and state.warc_bytes == sum(p.stat().st_size for p in warcs)
    assert state.loaded_files is None  # no warehouse yet
    assert {h.host for h in state.hosts} == {"eng.sectsco.org", "rus.sectsco.org", "chn.sectsco.org"}


def test_cli_status(crawled: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["status", "--data", str(crawled), "--api", closed_api(), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["warc_files"] > 0 and len(shown["hosts"]) == 3 and len(shown["crawl_runs"]) == 2
    table = CliRunner().invoke(app, ["status", "--data", str(crawled), "--api", closed_api()])
    assert "newest per host" in table.output and "eng.sectsco.org" in table.output
    assert "last crawl runs" in table.output
    DataDir(tmp_path / "new").create()
    empty = CliRunner().invoke(app, ["status", "--data", str(tmp_path / "new"), "--api", closed_api()])
    assert empty.exit_code == 0 and "No captures yet" in empty.output


def test_status_counts_loaded_files_once_the_warehouse_exists(crawled: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(crawled, copy)
    warehouse.load(copy)
    state = status.status(copy, api_url=closed_api())
    assert state.loaded_files == state.warc_files and state.snapshot


def test_crawl_report_has_the_counts_failures_and_warc_links(tmp_path: Path) -> None:
    from scoarchive.capture.config import CrawlSummary

    summary = CrawlSummary(
        run_id="r1", resumed=False, status="finished", requests=12, fetched=10, new=7, unchanged=2,
        redirects=1, truncated=0, failed=[("http://eng.sectsco.org/x", "HTTP Internal Server Error")],
        blocked=3, outlinks=4, bytes_written=123456, warc_files=["a.warc.gz"], seconds=1.5,
    )  # fmt: skip
    text = reports.crawl_markdown("Crawl of sco (en)", summary, None, 2.25, tmp_path)
    for line in ("| pages fetched | 10 |", "| new or changed captures | 7 |", "| unchanged (revisits) | 2 |",
                 "| failed | 1 |", "| WARC bytes written | 123,456 |", "| duration (s) | 2.2 |"):  # fmt: skip
        assert line in text
    assert "http://eng.sectsco.org/x: HTTP Internal Server Error" in text
    assert f"[a.warc.gz]({(tmp_path / 'a.warc.gz').as_uri()})" in text
    assert reports.failure_rows(summary.failed) == [
        {"url": "http://eng.sectsco.org/x", "reason": "HTTP Internal Server Error"}
    ]
    assert reports.artifact_key("crawl", "sco", "en") == "crawl-sco-en"
    assert reports.artifact_key("crawl", "./my site.toml", None) == "crawl-my-site-toml"


def test_schedule_stop_with_nothing_running(tmp_path: Path) -> None:
    DataDir(tmp_path).create()
    result = CliRunner().invoke(app, ["schedule", "--stop", "--data", str(tmp_path)])
    assert result.exit_code == 0 and "Nothing was running" in result.output
    assert not (tmp_path / "prefect").exists()  # asking changed nothing


# -- slow: real servers, as an operator runs them (pytest -m slow) --------------------------------


def run_deployment_and_wait(
    api_url: str, name: str, parameters: dict[str, object], timeout: float = 120
) -> str:
    """Start a deployment's run through the API and wait for its final state's name."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        run = run_deployment(name, parameters=parameters, timeout=0)
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                state = client.read_flow_run(run.id).state
                if state and state.is_final():
                    return state.name or ""
                time.sleep(0.5)
    return "timed out"


def scoarchive(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process (cli_ops imported, as cli.py does once it registers it)."""
    program = "from scoarchive.cli.main import run; run()"
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


@pytest.mark.slow
def test_schedule_brings_up_the_single_machine_setup_and_stop_ends_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataDir(data).create()
    port = str(free_port())
    env = {"PREFECT_API_URL": "", "PREFECT_WORKER_QUERY_SECONDS": "1"}
    started = scoarchive("schedule", "--data", str(data), "--port", port, env=env)
    assert started.returncode == 0, started.stderr
    assert "crawl-english" in started.stdout and (data / "prefect" / "prefect.db").exists()
    hint = next(line for line in started.stdout.splitlines() if line.startswith("Stop with: "))
    stop_command = shlex.split(hint.removeprefix("Stop with: "))
    assert stop_command == ["scoarchive", "schedule", "--stop", "--data", str(data)]
    api = f"http://127.0.0.1:{port}/api"
    try:
        assert run_deployment_and_wait(api, "verify/verify-weekly", {"data": str(data)}) == "Completed"
        shown = scoarchive("status", "--data", str(data), "--json", env=env)
        state = json.loads(shown.stdout)
        assert state["prefect_api"] == api
        assert [(run["flow"], run["deployment"], run["state"]) for run in state["flow_runs"]] == [
            ("verify", "verify-weekly", "Completed")
        ]
        again = scoarchive("schedule", "--data", str(data), "--port", port, env=env)
        assert again.returncode == 0  # idempotent: one server, one worker
    finally:
        stopped = scoarchive(*stop_command[1:], env=env)  # exactly as printed
    assert "worker" in stopped.stdout and "server" in stopped.stdout
    assert not status.api_healthy(api)


@pytest.mark.slow
def test_schedule_that_fails_after_starting_the_server_stops_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataDir(data).create()
    broken = tmp_path / "prefect.yaml"
    broken.write_text(
        "deployments:\n  - name: nowhere\n    entrypoint: scoarchive.flows.nosuch.flow\n"
        "    work_pool: {name: scoarchive}\n",
        encoding="utf-8",
    )
    port = str(free_port())
    env = {"PREFECT_API_URL": ""}
    failed = scoarchive(
        "schedule", "--data", str(data), "--port", port, "--prefect-file", str(broken), env=env
    )
    assert failed.returncode == 1 and "prefect deploy failed" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    assert not status.api_healthy(f"http://127.0.0.1:{port}/api")  # the server it started is gone
    assert not list((data / "prefect" / "run").glob("*.pid"))


def postgres_binaries() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin")):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.mark.slow
@pytest.mark.skipif(postgres_binaries() is None, reason="PostgreSQL server binaries not installed")
def test_the_same_deployments_run_on_a_postgresql_server_with_several_workers(tmp_path: Path) -> None:
    """What one machine can show of the multi-machine setup: Prefect on PostgreSQL, two workers
    capturing language shards into one data directory, one load."""
    binaries = postgres_binaries()
    assert binaries is not None
    # outside pytest's private (0700) temporary tree, which the postgres user cannot enter
    cluster, port = Path(tempfile.mkdtemp(prefix="scoarchive-pg-")), str(free_port())
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(cluster, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def pg(name: str, *args: str) -> list[str]:
        return [*as_postgres, str(binaries / name), *args]

    subprocess.run(pg("initdb", "-D", str(cluster / "db"), "-A", "trust", "-U", "prefect"), check=True)
    options = ["-p", port, "-k", str(cluster), "-c", "listen_addresses=127.0.0.1"]
    database = subprocess.Popen(
        pg("postgres", "-D", str(cluster / "db"), *options), stderr=subprocess.DEVNULL
    )
    data = tmp_path / "data"
    DataDir(data).create()  # as `scoarchive init` would; the flows refuse a directory that is not one
    workers = ("worker-a", "worker-b")
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(pg("pg_isready", "-h", "127.0.0.1", "-p", port), capture_output=True).returncode:
            assert time.monotonic() < deadline, "PostgreSQL did not start"
            time.sleep(0.2)
        url = f"postgresql+asyncpg://prefect@127.0.0.1:{port}/postgres"
        api, _ = schedule.start_server(data, free_port(), PREFECT_API_DATABASE_CONNECTION_URL=url)
        schedule.setup(api, data)
        for name in workers:
            schedule.start_worker(api, data, name=name, limit=1, role=name, PREFECT_WORKER_QUERY_SECONDS="1")
        with ReplicaServer(Site(SMALL)) as replica:
            shard = {"data": str(data), "connect_to": replica.connect_to_args(), "delay": 0, "load": False}
            hosts = {"english": "eng.sectsco.org", "russian": "rus.sectsco.org", "chinese": "chn.sectsco.org"}

            def capture(name: str) -> str:
                parameters = {**shard, "seed": [f"http://{hosts[name]}/"]}
                return run_deployment_and_wait(api, f"crawl/crawl-{name}", parameters)

            with ThreadPoolExecutor(3) as pool:
                states = list(pool.map(capture, hosts))
        assert states == ["Completed"] * 3
        assert run_deployment_and_wait(api, "load/load-warehouse", {"data": str(data)}) == "Completed"
        _, rows = warehouse.query(data, "SELECT count(DISTINCT crawl_run_id) FROM captures")
        assert rows[0][0] == 3
    finally:
        schedule.stop(data, roles=(*workers, "server"))
        database.terminate()
        database.wait(timeout=30)
        shutil.rmtree(cluster, ignore_errors=True)
