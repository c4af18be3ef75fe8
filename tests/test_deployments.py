"""deployments/: every deployment's entry point imports, its schedule parses, its parameters validate.

Offline and without a server (the integration module, test_flows, runs `prefect deploy --all`).
"""

from __future__ import annotations

import configparser
import itertools
import shlex
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from cronsim import CronSim
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from scoarchive.orchestration.schedule import WORK_POOL, deployment_names

ROOT = Path(__file__).resolve().parent.parent
PREFECT_FILE = ROOT / "deployments" / "prefect.yaml"
SPEC = yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))
DEPLOYMENTS = {entry["name"]: entry for entry in SPEC["deployments"]}


def test_the_file_is_what_prefect_deploy_reads() -> None:
    model = PrefectYamlModel.model_validate(SPEC)
    assert [d.name for d in model.deployments] == list(DEPLOYMENTS)
    assert deployment_names(PREFECT_FILE) == list(DEPLOYMENTS)


@pytest.mark.parametrize("name", list(DEPLOYMENTS))
def test_entry_point_imports_and_parameters_validate(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = DEPLOYMENTS[name]
    monkeypatch.chdir(ROOT)  # prefect deploy runs from the checkout's root
    flow = load_flow_from_entrypoint(entry["entrypoint"])
    validated = flow.validate_parameters(dict(entry["parameters"]))
    assert set(validated) >= set(entry["parameters"])
    assert entry["work_pool"]["name"] == WORK_POOL
    assert entry["concurrency_limit"]["limit"] == 1  # a deployment never overlaps itself
    for schedule in entry["schedules"]:
        parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
        assert parsed.timezone == "Europe/Moscow"


def gaps(name: str) -> set[timedelta]:
    """Intervals between the next few runs of a deployment, in its own time zone."""
    schedule = DEPLOYMENTS[name]["schedules"][0]
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo(schedule["timezone"])).replace(tzinfo=None)
    times = CronSim(schedule["cron"], start)
    runs = [next(times) for _ in range(12)]
    return {later - earlier for earlier, later in itertools.pairwise(runs)}


def test_cadence_matches_what_operators_asked_for() -> None:
    assert gaps("crawl-english") == {timedelta(hours=6)}
    assert gaps("crawl-russian") == gaps("crawl-chinese") == gaps("watch-daily") == {timedelta(days=1)}
    assert gaps("verify-weekly") == {timedelta(weeks=1)}
    assert DEPLOYMENTS["crawl-english"]["parameters"]["language"] == "en"
    assert DEPLOYMENTS["crawl-russian"]["parameters"]["language"] == "ru"
    assert DEPLOYMENTS["crawl-chinese"]["parameters"]["language"] == "zh"


def test_bad_parameters_are_refused_by_the_flow_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.exceptions import ParameterTypeError, SignatureMismatchError

    monkeypatch.chdir(ROOT)
    flow = load_flow_from_entrypoint(DEPLOYMENTS["crawl-english"]["entrypoint"])
    with pytest.raises((ParameterTypeError, SignatureMismatchError)):
        flow.validate_parameters({"language": "en", "max_pages": "many"})
    with pytest.raises((ParameterTypeError, SignatureMismatchError)):
        flow.validate_parameters({"langauge": "en"})


def unit(name: str) -> tuple[configparser.ConfigParser, dict[str, str]]:
    """A unit file's sections, and its Environment= settings (repeated keys, so read line by line)."""
    path = ROOT / "deployments" / "systemd" / name
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(path, encoding="utf-8")
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
    return parser, env


def test_systemd_units_start_the_server_and_a_worker_with_telemetry_off() -> None:
    server, _ = unit("scoarchive-prefect-server.service")
    worker, _ = unit("scoarchive-prefect-worker.service")
    assert shlex.split(server["Service"]["ExecStart"])[1:4] == ["server", "start", "--host"]
    command = shlex.split(worker["Service"]["ExecStart"])
    assert command[1:3] == ["worker", "start"] and command[command.index("--pool") + 1] == WORK_POOL
    assert "schedule --setup-only" in worker["Service"]["ExecStartPre"]
    assert "scoarchive-prefect-server.service" in worker["Unit"]["After"]
    for name in ("scoarchive-prefect-server.service", "scoarchive-prefect-worker.service"):
        parsed, env = unit(name)
        assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
        assert env["PREFECT_HOME"].startswith(env["SCOARCHIVE_HOME"])
        assert parsed["Install"]["WantedBy"] == "multi-user.target"
