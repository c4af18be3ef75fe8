"""Service benchmark: 200 keep-alive clients on every endpoint, the service as it was against today's.

    python bench/service.py [--seconds 20] [--connections 200] [--workers N] [--baseline-ref REF]

In one run, against one archive (the replica crawled, changed, crawled again and loaded, in
``bench/out/service/``, git-ignored), each service in turn is started as its own process and
loaded from a second process:

- **baseline**: the service at ``--baseline-ref`` (default: the last commit before issue 12's
  work on it), taken out of git into a temporary directory (``git archive``, no worktree) and
  run as its ``scoarchive serve`` ran it: one uvicorn process, asyncio loop, h11 parser;
- **new**: ``scoarchive serve`` of this checkout with its defaults (``--workers``, caches);
- **new, no cache**: the same with ``--cache-mib 0``, to show what the caches contribute and
  what the rest (workers, uvloop/httptools, reads off the event loop) does alone.

The load generator (asyncio, raw HTTP/1.1 over ``--connections`` keep-alive connections, each
sending its next request when the last answer is read) mixes the six endpoints in equal shares:
``/api/resolve``, ``/timegate/``, ``/timemap/link/``, ``/web/TSid_/`` (raw replay), ``/web/TS/``
(browser replay) and ``/article/``, over every capture of the archive (those whose body the
service holds whole, up to 1 MiB; larger ones stream from the WARC file and are not measured). It
runs ``--warmup`` seconds, then ``--seconds`` measured. An error is a transport failure, a
timeout or a 5xx. Memory is the PSS summed over the server's processes, sampled every 0.2 s;
CPU is the server's and the load generator's user and system time over the measured seconds.

Prints figures and ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx

from scoarchive import warehouse
from scoarchive.capture.crawler import crawl
from scoarchive.orchestration.demo import replica_crawl_config
from scoarchive.replica import ReplicaConfig, ReplicaServer, Site
from scoarchive.resolve.model import Capture
from scoarchive.resolve.resolver import Resolver
from scoarchive.service.replay import MAX_INLINE_BODY
from scoarchive.warc.reader import read_response
from scoarchive.warehouse import current_snapshot
from scoarchive.warehouse.lookups import SnapshotReader

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "service"
BASELINE_REF = "5b64896"  # main before issue 12: ArchiveApp in service/replay.py, one process
REPLICA = ReplicaConfig(articles_per_host=40, documents_per_host=8, slow_seconds=0.2, bomb_bytes=20 * 2**20)
ENDPOINTS = ("api/resolve", "timegate", "timemap/link", "web id_", "web browser", "article")

# How `scoarchive serve` ran at the baseline: uvicorn.run on the app, one process, default
# thread pool; the loop and parser of that day's environment (no uvloop, no httptools).
BASELINE_SERVE = """
import sys
sys.path.insert(0, sys.argv[1])
import uvicorn
from scoarchive.resolve.model import Capture
from scoarchive.resolve.resolver import Resolver
from scoarchive.service.replay import MAX_INLINE_BODY
from scoarchive.warc.reader import read_response
from scoarchive.service.replay import create_app
resolver = Resolver(sys.argv[2])
resolver.index()
uvicorn.run(create_app(resolver.data.root, resolver=resolver), host="127.0.0.1", port=int(sys.argv[3]),
            log_level="warning", server_header=False, date_header=False, loop="asyncio", http="h11")
"""


# -- the archive and the requests -------------------------------------------------------------


def build_archive(root: Path) -> None:
    """The replica crawled, changed and crawled again (so articles have versions), loaded."""
    if current_snapshot(root) is not None:
        return
    site = Site(REPLICA)
    with ReplicaServer(site) as server:
        crawl(replica_crawl_config(server, root))
        site.mutate()
        crawl(replica_crawl_config(server, root))
    warehouse.load(root)


Request = tuple[str, str, dict[str, str]]  # endpoint, path, extra headers


def held_whole(root: Path, capture: Capture) -> bool:
    """Whether the service holds the capture's body whole (larger ones stream: not measured here)."""
    content = capture.content
    archived = read_response(root / "warcs", content.warc_file, content.warc_offset)
    archived.close()
    return archived.body_length <= MAX_INLINE_BODY


def make_requests(root: Path) -> dict[str, list[Request]]:
    """Every endpoint's requests over the archive's captures, in a fixed order."""
    resolver = Resolver(root)
    snapshot = current_snapshot(root)
    assert snapshot is not None
    with SnapshotReader().open(snapshot) as view:
        rows = [row for row in view.capture_rows() if row.record_type == "response"]
    urls = sorted({row.url for row in rows if row.status == 200})
    html = {row.url for row in rows if row.status == 200 and (row.mime or "").startswith("text/html")}
    by: dict[str, list[Request]] = defaultdict(list)
    rng = random.Random(12)
    for url in urls:
        quoted = quote(url, safe="")
        by["api/resolve"].append(("api/resolve", f"/api/resolve?url={quoted}", {}))
        by["api/resolve"].append(("api/resolve", f"/api/resolve?url={quoted}&at=2021-06-16", {}))
        by["timegate"].append(("timegate", f"/timegate/{url}", {}))
        accept = {"Accept-Datetime": "Wed, 16 Jun 2021 10:00:00 GMT"}
        by["timegate"].append(("timegate", f"/timegate/{url}", accept))
        by["timemap/link"].append(("timemap/link", f"/timemap/link/{url}", {}))
        for capture in resolver.captures(url):
            if capture.url != url or capture.record_type != "response" or not held_whole(root, capture):
                continue
            stamp = resolver.memento_timestamp(capture)
            by["web id_"].append(("web id_", f"/web/{stamp}id_/{url}", {}))
            if url in html:
                by["web browser"].append(("web browser", f"/web/{stamp}/{url}", {}))
            if capture.article_key:
                by["article"].append(("article", f"/article/{capture.article_key}", {}))
    for requests in by.values():
        rng.shuffle(requests)
    return {endpoint: by[endpoint] for endpoint in ENDPOINTS}


def schedule(
    by_endpoint: dict[str, list[Request]], endpoints: list[str], length: int = 20_000
) -> list[Request]:
    """The endpoints in turn (equal shares), each cycling through its own requests."""
    return [
        by_endpoint[endpoint][i % len(by_endpoint[endpoint])]
        for i in range(length // len(endpoints))
        for endpoint in endpoints
    ]


# -- the load generator (a second process) ------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        await reader.readexactly(length)
        return status
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")
    return status


async def _client(
    address: tuple[str, int], requests: list[Request], start: int, until: float, record: dict
) -> None:
    host = f"{address[0]}:{address[1]}"
    reader = writer = None
    index = start
    while time.perf_counter() < until:
        endpoint, path, headers = requests[index % len(requests)]
        index += 1
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(*address)
            assert reader is not None
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
            status = await asyncio.wait_for(_read_response(reader), 10)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            record["errors"][endpoint] += 1
            record["error_kinds"][type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        record["latency"][endpoint].append(time.perf_counter() - started)
        record["status"][f"{endpoint} {status}"] += 1
        if status >= 500:
            record["errors"][endpoint] += 1
    if writer is not None:
        writer.close()


async def _load(base: str, requests: list[Request], connections: int, warmup: float, seconds: float) -> dict:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    address = (host, int(port))

    def fresh() -> dict:
        return {
            "latency": defaultdict(list),
            "status": defaultdict(int),
            "errors": defaultdict(int),
            "error_kinds": defaultdict(int),
        }

    offsets = [n * len(requests) // connections for n in range(connections)]
    if warmup > 0:
        until = time.perf_counter() + warmup
        await asyncio.gather(*(_client(address, requests, o, until, fresh()) for o in offsets))
    print("measuring", flush=True)
    record = fresh()
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_client(address, requests, o, until, record) for o in offsets))
    elapsed = time.perf_counter() - started
    endpoints = {}
    for endpoint in ENDPOINTS:
        samples = sorted(record["latency"][endpoint])
        endpoints[endpoint] = {
            "requests": len(samples),
            "errors": record["errors"][endpoint],
            **percentiles(samples),
        }
    everything = sorted(s for samples in record["latency"].values() for s in samples)
    return {
        "per_second": len(everything) / elapsed,
        "requests": len(everything),
        "errors": sum(record["errors"].values()),
        "error_kinds": dict(record["error_kinds"]),
        "status": dict(record["status"]),
        "all": percentiles(everything),
        "endpoints": endpoints,
    }


def percentiles(ordered: list[float]) -> dict[str, float]:
    if not ordered:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    return {
        "p50_ms": ordered[len(ordered) // 2] * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
    }


def client_main(base: str, requests_file: str, connections: int, warmup: float, seconds: float) -> None:
    requests = [tuple(r) for r in json.loads(Path(requests_file).read_text())]
    try:
        import uvloop  # the client's own overhead, kept small

        result = uvloop.run(_load(base, requests, connections, warmup, seconds))
    except ImportError:
        result = asyncio.run(_load(base, requests, connections, warmup, seconds))
    print(json.dumps(result))


# -- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def baseline_source(ref: str, into: Path) -> Path:
    """The baseline's ``src/`` out of git, without touching any worktree."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children[int(fields[1])].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss(pid: int) -> int:
    """Proportional resident bytes (PSS: shared pages divided among the processes sharing them,
    so workers are not counted twice for one libpython) of ``pid`` and its descendants."""
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) used so far by ``pid`` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_one(name: str, command: list[str], env: dict[str, str], port: int, args: argparse.Namespace) -> dict:
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/resolve?url=http://eng.sectsco.org/").status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{name}: the service did not start: {process.communicate()[1]}")
            time.sleep(0.2)
        ready_rss = tree_rss(process.pid)
        peak = [ready_rss]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        client = [
            sys.executable, __file__, "--client", base, str(args.requests_file), str(args.connections),
            str(args.warmup), str(args.seconds),
        ]  # fmt: skip
        loader = subprocess.Popen(client, stdout=subprocess.PIPE, text=True)
        assert loader.stdout is not None
        loader.stdout.readline()  # "measuring": the warm-up is over
        cpu = (tree_cpu(process.pid), tree_cpu(loader.pid))
        output = loader.stdout.read()
        spent = (tree_cpu(process.pid) - cpu[0], tree_cpu(loader.pid) - cpu[1])
        if loader.wait() != 0:
            raise SystemExit(f"{name}: the load generator failed")
        stop.set()
        sampler.join()
        result = dict(json.loads(output.strip().splitlines()[-1]))
        result.update(name=name, ready_rss=ready_rss, peak_rss=peak[0], final_rss=tree_rss(process.pid))
        result.update(server_cpu=spent[0], client_cpu=spent[1])
        return result
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report(result: dict) -> None:
    mib = 2**20
    print(
        f"\n{result['name']}: {result['per_second']:,.0f} requests/s, {result['requests']:,} requests, "
        f"{result['errors']} errors {result['error_kinds'] or ''}; all p50 {result['all']['p50_ms']:.1f} ms, "
        f"p99 {result['all']['p99_ms']:.1f} ms; PSS {result['ready_rss'] / mib:.0f} MiB ready, "
        f"peak {result['peak_rss'] / mib:.0f} MiB, after {result['final_rss'] / mib:.0f} MiB"
    )
    per_request = result["server_cpu"] / max(result["requests"], 1) * 1e3
    print(
        f"  CPU: server {result['server_cpu']:.1f} s ({per_request:.2f} ms a request), "
        f"load generator {result['client_cpu']:.1f} s"
    )
    for endpoint, figures in result["endpoints"].items():
        if not figures["requests"]:
            continue
        print(
            f"  {endpoint:<13} n={figures['requests']:>7,}  errors={figures['errors']:<4} "
            f"p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms"
        )
    statuses = sorted(result["status"].items())
    print("  statuses: " + ", ".join(f"{name}: {count:,}" for name, count in statuses))


def compare(baseline: dict, new: dict) -> None:
    print(f"\n{new['name']} / {baseline['name']}:")
    print(f"  throughput x{new['per_second'] / baseline['per_second']:.2f}")
    for endpoint in ENDPOINTS:
        old, now = baseline["endpoints"][endpoint], new["endpoints"][endpoint]
        if not old["requests"] or not now["requests"]:
            continue
        print(
            f"  {endpoint:<13} p50 x{old['p50_ms'] / now['p50_ms']:.1f} faster, "
            f"p99 x{old['p99_ms'] / now['p99_ms']:.1f} faster"
        )
    cpu = [r["server_cpu"] / max(r["requests"], 1) for r in (baseline, new)]
    rss = new["peak_rss"] / baseline["peak_rss"]
    print(f"  server CPU a request x{cpu[1] / cpu[0]:.2f}, peak PSS x{rss:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="the new service's (default: its own)")
    parser.add_argument("--baseline-ref", default=BASELINE_REF)
    parser.add_argument("--skip", action="append", default=[], choices=["baseline", "new", "nocache"])
    parser.add_argument("--endpoint", action="append", choices=ENDPOINTS, help="only these (repeatable)")
    args = parser.parse_args()
    began = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / "data"
    build_archive(data)
    by_endpoint = make_requests(data)
    print(
        f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other work on the machine), "
        f"connections: {args.connections}, {args.seconds:.0f} s each after {args.warmup:.0f} s of warm-up"
    )
    print("requests per endpoint: " + ", ".join(f"{e} {len(r)}" for e, r in by_endpoint.items()))
    args.requests_file = OUT / "requests.json"
    args.requests_file.write_text(json.dumps(schedule(by_endpoint, args.endpoint or list(ENDPOINTS))))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    serve = [sys.executable, "-m", "scoarchive", "serve", "--data", str(data)]
    if args.workers is not None:
        serve += ["--workers", str(args.workers)]
    results = {}
    with tempfile.TemporaryDirectory(prefix="scoarchive-baseline-") as temporary:
        if "baseline" not in args.skip:
            source = baseline_source(args.baseline_ref, Path(temporary))
            port = free_port()
            command = [sys.executable, "-c", BASELINE_SERVE, str(source), str(data), str(port)]
            results["baseline"] = run_one(f"baseline ({args.baseline_ref})", command, env, port, args)
            report(results["baseline"])
    for name, extra in (("new", []), ("nocache", ["--cache-mib", "0"])):
        if name not in args.skip:
            port = free_port()
            label = "new" if name == "new" else "new, no cache"
            results[name] = run_one(label, [*serve, "--port", str(port), *extra], env, port, args)
            report(results[name])
    if "baseline" in results:
        for name in ("new", "nocache"):
            if name in results:
                compare(results["baseline"], results[name])
    print(f"\ntotal {time.perf_counter() - began:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
    else:
        main()
