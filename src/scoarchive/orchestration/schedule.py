"""The single-machine setup behind ``scoarchive schedule``: Prefect server, work pool, worker.

A Prefect server on SQLite under DATA/prefect (PREFECT_HOME, telemetry off), the work pool,
the global concurrency limits, the deployments of the packaged ``prefect.yaml`` (the repository's
``deployments/``) and one process worker, started detached and stopped by their recorded pids.
Everything is checked before the first process starts, and what was started is stopped again
when a later step fails. It manages processes, not runs: nothing a flow calls lives here.
Prefect is imported inside the functions that need it; the rest runs the ``prefect`` command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scoarchive.core.profile import load_profile
from scoarchive.core.settings import DataDir
from scoarchive.orchestration.limits import ensure_limits, limit_specs
from scoarchive.orchestration.retry import OpsError
from scoarchive.orchestration.status import api_healthy, prefect_home

WORK_POOL = "scoarchive"
DEFAULT_PORT = 4200
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def packaged_prefect_file() -> Path:
    """The ``prefect.yaml`` the package ships (the repository's ``deployments/prefect.yaml``)."""
    return Path(str(resources.files("scoarchive.orchestration.deployments").joinpath("prefect.yaml")))


def prefect_bin() -> str:
    """The ``prefect`` command of this environment (beside the running interpreter)."""
    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"


def prefect_env(data_dir: Path | str, api_url: str, **extra: str) -> dict[str, str]:
    """Environment for the server, deploys and workers: PREFECT_HOME under DATA, telemetry off."""
    data = DataDir(data_dir)
    env = {
        **os.environ,
        **QUIET_ENV,
        "PREFECT_HOME": str(prefect_home(data.root).resolve()),
        "PREFECT_API_URL": api_url,
        "SCOARCHIVE_HOME": str(data.root.resolve()),
        **extra,
    }
    return env


def ensure_work_pool(name: str = WORK_POOL) -> None:
    """A process work pool (flow runs as subprocesses of the worker), created if missing."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )


def deploy(api_url: str, data_dir: Path | str, prefect_file: Path | None = None) -> list[str]:
    """``prefect deploy --all`` with a prefect.yaml (default: the packaged one); the deployment names.

    Run in PREFECT_HOME: the deployments name their flows by module, so no checkout is needed,
    and their default pull step makes the worker's flow runs start there too.
    """
    prefect_file = prefect_file or packaged_prefect_file()
    names = deployment_names(prefect_file)
    home = prefect_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [prefect_bin(), "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file.resolve())],
        cwd=home,
        env=prefect_env(data_dir, api_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise OpsError("prefect deploy failed: " + " | ".join(tail))
    return names


def deployment_names(prefect_file: Path) -> list[str]:
    """The deployments a prefect.yaml defines; OpsError if it is missing or not one."""
    import yaml

    try:
        spec = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OpsError(f"cannot read {prefect_file}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise OpsError(f"{prefect_file} is not valid YAML: {' '.join(str(exc).split())}") from None
    deployments = spec.get("deployments") if isinstance(spec, dict) else None
    if not deployments or not all(isinstance(entry, dict) and entry.get("name") for entry in deployments):
        raise OpsError(f"{prefect_file} defines no deployments (a prefect.yaml with `deployments:`)")
    return [str(entry["name"]) for entry in deployments]


def setup(
    api_url: str,
    data_dir: Path | str,
    prefect_file: Path | None = None,
    profiles: Sequence[str] = ("sco",),
) -> list[str]:
    """Work pool, global concurrency limits and deployments on the server at ``api_url``.

    Idempotent: run it again after changing prefect.yaml or a profile's politeness.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        ensure_work_pool()
        ensure_limits(limit_specs(load_profile(name) for name in profiles))
    return deploy(api_url, data_dir, prefect_file)


@dataclass
class Scheduled:
    api_url: str
    server_pid: int | None  # None: a server was already answering
    worker_pid: int | None
    deployments: list[str]


def _run_dir(data_dir: Path | str) -> Path:
    return prefect_home(data_dir) / "run"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recorded_pid(data_dir: Path | str, role: str) -> int | None:
    path = _run_dir(data_dir) / f"{role}.pid"
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _spawn(data_dir: Path | str, role: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Start a detached process (its own session, so it outlives this command); record its pid."""
    logs = prefect_home(data_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{role}.log", "ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _run_dir(data_dir).mkdir(parents=True, exist_ok=True)
    (_run_dir(data_dir) / f"{role}.pid").write_text(f"{process.pid}\n", encoding="utf-8")
    return process.pid


def start_server(
    data_dir: Path | str, port: int = DEFAULT_PORT, timeout: float = 90.0, **env: str
) -> tuple[str, int | None]:
    """``prefect server start`` (SQLite under DATA/prefect unless ``env`` names another
    database); waits until it answers."""
    api_url = f"http://127.0.0.1:{port}/api"
    if api_healthy(api_url):
        return api_url, None
    home = prefect_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    pid = _spawn(
        data_dir,
        "server",
        [prefect_bin(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        prefect_env(data_dir, api_url, **env),
        home,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api_healthy(api_url, timeout=1.0):
            (home / "api-url").write_text(api_url + "\n", encoding="utf-8")
            return api_url, pid
        if not _pid_alive(pid):
            break
        time.sleep(0.5)
    raise OpsError(f"the Prefect server did not answer on {api_url}; see {home / 'logs' / 'server.log'}")


def start_worker(
    api_url: str,
    data_dir: Path | str,
    *,
    name: str = "scoarchive-worker",
    limit: int | None = None,
    role: str = "worker",
    **env: str,
) -> int:
    """A process worker on the work pool: it runs each flow run as a child process."""
    command = [prefect_bin(), "worker", "start", "--pool", WORK_POOL, "--type", "process", "--name", name]
    if limit is not None:
        command += ["--limit", str(limit)]
    return _spawn(data_dir, role, command, prefect_env(data_dir, api_url, **env), prefect_home(data_dir))


def schedule(
    data_dir: Path | str,
    *,
    port: int = DEFAULT_PORT,
    prefect_file: Path | None = None,
    profiles: Sequence[str] = ("sco",),
) -> Scheduled:
    """Bring up the single-machine setup: server, work pool, limits, deployments, one worker.

    Everything that can be checked is checked before the first process starts (data directory,
    prefect.yaml, profiles); a step that fails later stops the processes this call started.
    """
    DataDir(data_dir).ensure_writable()
    deployment_names(prefect_file or packaged_prefect_file())
    for name in profiles:
        load_profile(name)
    api_url, server_pid = start_server(data_dir, port)
    started = [] if server_pid is None else ["server"]
    try:
        names = setup(api_url, data_dir, prefect_file, profiles)
        worker_pid = _recorded_pid(data_dir, "worker")
        if worker_pid is None:
            worker_pid = start_worker(api_url, data_dir)
    except BaseException:
        stop(data_dir, roles=started)
        raise
    return Scheduled(api_url, server_pid, worker_pid, names)


def stop(data_dir: Path | str, roles: Sequence[str] = ("worker", "server"), grace: float = 15.0) -> list[str]:
    """Stop the worker, then the server, that ``schedule`` started (by their recorded pids)."""
    stopped = []
    for role in roles:
        pid = _recorded_pid(data_dir, role)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # its own session: the group holds its children
        deadline = time.monotonic() + grace
        while _pid_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.2)
        if _pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        (_run_dir(data_dir) / f"{role}.pid").unlink(missing_ok=True)
        stopped.append(f"{role} (pid {pid})")
    if "server" in roles:
        (prefect_home(data_dir) / "api-url").unlink(missing_ok=True)
    return stopped
