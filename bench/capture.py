"""Capture throughput: `scoarchive crawl` against `wget --recursive --warc-file`, same run.

Both crawl the same replica (faults off, no politeness delay) served by a separate process, so
the figures compare like with like on this machine at this moment; only ratios are meaningful
on shared machines. Each round runs both crawls back to back (in alternating order), and the
ratios are taken within a round; the median of the rounds and their spread are reported with
the machine's load while they ran (the CPU others used: every core's busy time minus what the
crawls and the replica used). Also measured: the replica with a trivial keep-alive client (so
we know the server is not the bottleneck), the whole pipeline, and the crawler's peak memory
while the replica serves a 200 MB file. ``--profile`` samples one more crawl with py-spy
(``pip install py-spy``) and prints where its CPU went.

wget must be installed (``apt-get install -y wget``).

    python bench/capture.py [--articles 250] [--concurrency 8] [--rounds 5] [--profile]

Profile (py-spy, ``--profile``: the crawl process's busy samples by category, as a share of
the median CPU/page of the rounds; 1,977 pages, concurrency 8, a shared 2-core machine):

    category                          before (3.54 ms/page)   after (1.43 ms/page)
    HTTP exchange (parser, sockets)   29%  1.04 ms            9%  0.13 ms
    start-up (imports, CLI)           20%  0.72 ms           31%  0.44 ms
    politeness, queues, event loop    20%  0.72 ms           16%  0.23 ms
    WARC records (gzip, write)        13%  0.45 ms           13%  0.19 ms
    links (parse, classify)            7%  0.26 ms           18%  0.26 ms
    other                              6%  0.22 ms            7%  0.10 ms
    frontier (SQLite)                  4%  0.14 ms            5%  0.08 ms

Before, httpcore and anyio cost 0.55 ms of CPU per exchange (0.03 ms for an asyncio protocol
around llhttp, now :mod:`scoarchive.capture.connections`), and deflating JPEGs and gzip-encoded
pages again (level 1, in a thread: the hand-offs were most of "politeness, queues, event loop")
about 1 ms per image for 0.03% of size; they are stored now (level 0). What is left is mostly
start-up: the CLI imports every command's modules (DuckDB, trafilatura, the briefing check),
0.95 s of CPU where the crawl's own modules take 0.35 s, a third of the CPU of a 2,000-page crawl.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scoarchive.replica import HOSTS

PYTHON = sys.executable

# The profile's categories: a sample belongs to the first whose frame is on its stack.
CATEGORIES = (
    ("start-up (imports, CLI)", ("_find_and_load",)),
    ("WARC records (gzip, write)", ("WarcWriter.",)),
    ("links (parse, classify)", ("Successors.of",)),
    ("frontier (SQLite)", ("Frontier.",)),
    ("HTTP exchange (parser, sockets)", ("Fetcher.fetch",)),
    ("politeness, queues, event loop", ("PoliteClient.", "Crawler.", "_run_once")),
)
# A sample whose last frames are these is a thread waiting, not working.
IDLE = (
    "_queue_SimpleQueue_get", "select_epoll_poll", "epoll_wait", "pthread_cond_timedwait",
    "PyThread_acquire_lock_timed",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_replica(port: int, *args: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [PYTHON, "-m", "scoarchive", "sim", "--port", str(port), *args], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("replica did not start")


def busy_seconds() -> float:
    """CPU seconds every core of the machine has been busy since boot."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds a running process (all its threads) has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(command: list[str], replica: int | None = None, **kwargs: object) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process (with its children), and
    the CPU seconds the replica and the rest of the machine used meanwhile."""
    busy, served = busy_seconds(), process_cpu(replica) if replica else 0.0
    started = time.monotonic()
    process = subprocess.Popen(command, **kwargs)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    cpu = usage.ru_utime + usage.ru_stime
    served = (process_cpu(replica) if replica else 0.0) - served
    return {
        "wall": wall,
        "cpu": cpu,
        "replica_cpu": served,
        "others_cores": max(busy_seconds() - busy - cpu - served, 0.0) / wall,
        "peak_mb": usage.ru_maxrss / 1024,
        "returncode": process.returncode,
    }


def server_capacity(port: int, seconds: float = 2.0) -> float:
    """Requests/s a trivial keep-alive client gets from the replica (one connection)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.request("GET", "/news/", headers={"Host": "eng.sectsco.org"})
        connection.getresponse().read()
        count += 1
    return count / seconds


def warc_stats(paths: list[Path]) -> tuple[int, int]:
    """(response records, total bytes) of a set of WARC files."""
    responses = 0
    for path in paths:
        with open(path, "rb") as handle:
            responses += sum(1 for record in ArchiveIterator(handle) if record.rec_type == "response")
    return responses, sum(path.stat().st_size for path in paths)


def run_wget(replica: subprocess.Popen[bytes], port: int, workdir: Path) -> dict[str, float]:
    """wget keeping its files (with --delete-after it fetches every page requisite again per page,
    which inflates its page count with repeats of one stylesheet and one logo)."""
    workdir.mkdir(parents=True)
    seeds = [f"http://{host}/" for host in HOSTS]
    command = [
        "wget", "--recursive", "--level=inf", "--page-requisites", "--span-hosts",
        f"--domains={','.join(HOSTS)}", "--reject-regex", "/(calendar|search|private)/",
        "-e", "robots=on", "-e", "use_proxy=yes", "-e", f"http_proxy=127.0.0.1:{port}",
        f"--warc-file={workdir / 'wget'}", "--no-verbose", "--quiet",
        "-P", str(workdir / "files"), *seeds,
    ]  # fmt: skip
    result = measured(command, replica.pid)
    result["pages"], result["warc_bytes"] = warc_stats(sorted(workdir.glob("wget*.warc.gz")))
    return result


def crawl_command(port: int, workdir: Path, concurrency: int, *extra: str, load: str) -> list[str]:
    command = [PYTHON, "-m", "scoarchive", "crawl", "--data", str(workdir), load, "--delay", "0", "--json"]
    command += ["--concurrency", str(concurrency), "--host-concurrency", str(concurrency)]
    command += [arg for host in HOSTS for arg in ("--connect-to", f"{host}:80:127.0.0.1:{port}")]
    return command + (list(extra) or [arg for host in HOSTS for arg in ("--seed", f"http://{host}/")])


def run_scoarchive(
    replica: subprocess.Popen[bytes],
    port: int,
    workdir: Path,
    concurrency: int,
    *extra: str,
    load: str = "--no-load",
) -> dict[str, float]:
    """A crawl by the CLI; ``load="--workers=2"`` makes it the whole pipeline (capture, extract, load)."""
    with tempfile.TemporaryFile() as output:
        command = crawl_command(port, workdir, concurrency, *extra, load=load)
        result = measured(command, replica.pid, stdout=output)
        output.seek(0)
        summary = json.loads(output.read())
    result["pages"] = summary["fetched"]
    result["warc_bytes"] = summary["bytes_written"]
    return result


def rate(result: dict[str, float]) -> float:
    return result["pages"] / result["wall"]


def cpu_ms(result: dict[str, float]) -> float:
    return 1000 * result["cpu"] / max(result["pages"], 1)


def row(name: str, result: dict[str, float]) -> str:
    pages = max(result["pages"], 1)
    return (
        f"{name:<24} {result['pages']:>5.0f} pages {result['wall']:>6.2f} s {rate(result):>6.1f} pages/s "
        f"{cpu_ms(result):>5.2f} ms CPU/page {result['warc_bytes'] / pages:>6.0f} B/page "
        f"{result['peak_mb']:>6.1f} MB peak; replica {1000 * result['replica_cpu'] / pages:.2f} ms/page, "
        f"others {result['others_cores']:.2f} cores"
    )


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (min {min(values):.2f}, max {max(values):.2f})"


def rounds(replica: subprocess.Popen[bytes], port: int, options: argparse.Namespace) -> float:
    """Both crawls per round, in alternating order; the ratios within each round, then their
    median; returns the crawl's median CPU ms/page."""
    pages, cpu, others, ours_cpu = [], [], [], []
    for number in range(options.rounds):
        with tempfile.TemporaryDirectory() as scratch:
            order = ("wget", "ours") if number % 2 == 0 else ("ours", "wget")
            results = {}
            for name in order:
                where = Path(scratch) / name
                results[name] = (
                    run_wget(replica, port, where)
                    if name == "wget"
                    else run_scoarchive(replica, port, where, options.concurrency)
                )
        wget, ours = results["wget"], results["ours"]
        pages.append(rate(ours) / rate(wget))
        cpu.append(cpu_ms(ours) / cpu_ms(wget))
        ours_cpu.append(cpu_ms(ours))
        others += [wget["others_cores"], ours["others_cores"]]
        print(f"round {number + 1}, load average {os.getloadavg()[0]:.1f}")
        print("  " + row("wget (1 connection)", wget))
        print("  " + row(f"scoarchive (conc. {options.concurrency})", ours))
        print(f"  ratio scoarchive/wget: pages/s {pages[-1]:.2f}x, CPU/page {cpu[-1]:.2f}x")
    print(f"median of {options.rounds} rounds, scoarchive/wget:")
    print(f"  pages/s {spread(pages)}, CPU/page {spread(cpu)}")
    print(f"others' load meanwhile: {statistics.median(others):.2f} cores median, {max(others):.2f} max")
    return statistics.median(ours_cpu)


def profile(replica: subprocess.Popen[bytes], port: int, concurrency: int, ms_per_page: float) -> None:
    """One more crawl sampled by py-spy: its busy samples by category (and what that share is of
    ``ms_per_page``, the rounds' median), and the functions most samples were in."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).with_name("py-spy"))
    if not Path(spy).exists():
        print("profile: py-spy is not installed (pip install py-spy)")
        return
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "profile.txt"
        command = [spy, "record", "-r", "200", "-n", "-s", "-f", "raw", "-o", str(raw), "--"]
        command += crawl_command(port, Path(scratch) / "data", concurrency, load="--no-load")
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        lines = raw.read_text().splitlines()
    categories: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in lines:
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        if any(idle in frame for frame in frames[-6:] for idle in IDLE):
            continue
        name = next((name for name, marks in CATEGORIES if any(mark in stack for mark in marks)), "other")
        categories[name] += int(samples)
        leaves[frames[-1].split(" (")[0]] += int(samples)
    total = sum(categories.values()) or 1
    print(f"profile (share of the crawl's busy samples; of {ms_per_page:.2f} ms CPU/page):")
    for name, count in categories.most_common():
        print(f"  {100 * count / total:5.1f}%  {ms_per_page * count / total:4.2f} ms  {name}")
    top = ", ".join(f"{name} {100 * count / total:.1f}%" for name, count in leaves.most_common(8))
    print(f"  top functions (self): {top}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--articles", type=int, default=250, help="articles per host (250: about 2,000 pages)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of both crawls")
    parser.add_argument("--profile", action="store_true", help="also profile one crawl with py-spy")
    parser.add_argument("--quick", action="store_true", help="only the rounds (no pipeline, no memory)")
    options = parser.parse_args()
    if shutil.which("wget") is None:
        sys.exit("wget is not installed (apt-get install -y wget)")

    port = free_port()
    replica = start_replica(port, "--articles", str(options.articles), "--no-faults")
    try:
        print(f"replica: {server_capacity(port):.0f} requests/s to one keep-alive client (server ceiling)")
        ms_per_page = rounds(replica, port, options)
        if options.profile:
            profile(replica, port, options.concurrency, ms_per_page)
        if not options.quick:
            with tempfile.TemporaryDirectory() as scratch:
                pipeline = run_scoarchive(
                    replica, port, Path(scratch), options.concurrency, load="--workers=2"
                )
            print(row("pipeline (+extract, load)", pipeline))
            cores = os.cpu_count() or 1
            print(f"pipeline: {rate(pipeline) / cores:.1f} pages/s per core ({cores} cores)")
    finally:
        replica.terminate()
        replica.wait()
    if options.quick:
        return
    port = free_port()
    replica = start_replica(port, "--articles", "5", "--large-file-mb", "200")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            large = run_scoarchive(
                replica, port, Path(scratch), 2, "--seed", "http://eng.sectsco.org/documents/",
                "--max-bytes", "300000000",
            )  # fmt: skip
    finally:
        replica.terminate()
        replica.wait()
    print(f"peak memory crawling a 200 MB file: {large['peak_mb']:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
