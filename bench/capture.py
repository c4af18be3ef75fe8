"""Capture throughput: `scoarchive crawl` against `wget --recursive --warc-file`, same run.

Both crawl the same replica (faults off, no politeness delay) served by a separate process, so
the figures compare like with like on this machine at this moment; only ratios are meaningful
on shared machines. Also measured: the replica with a trivial keep-alive client (so we know
the server is not the bottleneck), and the crawler's peak memory while the replica serves a
200 MB file.

    python bench/capture.py [--articles 250] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scoarchive.replica import HOSTS

PYTHON = sys.executable


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


def measured(command: list[str], **kwargs: object) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    started = time.monotonic()
    process = subprocess.Popen(command, **kwargs)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": time.monotonic() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
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


def run_wget(port: int, workdir: Path) -> dict[str, float]:
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
    result = measured(command)
    result["pages"], result["warc_bytes"] = warc_stats(sorted(workdir.glob("wget*.warc.gz")))
    return result


def run_scoarchive(
    port: int, workdir: Path, concurrency: int, *extra: str, load: str = "--no-load"
) -> dict[str, float]:
    """A crawl by the CLI; ``load="--workers=2"`` makes it the whole pipeline (capture, extract, load)."""
    command = [
        PYTHON,
        "-m",
        "scoarchive",
        "crawl",
        "--data",
        str(workdir),
        load,
        "--delay",
        "0",
        "--json",
    ]
    command += ["--concurrency", str(concurrency), "--host-concurrency", str(concurrency)]
    command += [arg for host in HOSTS for arg in ("--connect-to", f"{host}:80:127.0.0.1:{port}")]
    command += list(extra) or [arg for host in HOSTS for arg in ("--seed", f"http://{host}/")]
    with tempfile.TemporaryFile() as output:
        result = measured(command, stdout=output)
        output.seek(0)
        summary = json.loads(output.read())
    result["pages"] = summary["fetched"]
    result["warc_bytes"] = summary["bytes_written"]
    return result


def row(name: str, result: dict[str, float]) -> str:
    pages = max(result["pages"], 1)
    return (
        f"{name:<22} {result['pages']:>6.0f} pages {result['wall']:>7.2f} s "
        f"{pages / result['wall']:>8.1f} pages/s "
        f"{1000 * result['cpu'] / pages:>7.2f} ms CPU/page {result['warc_bytes'] / pages:>8.0f} B/page "
        f"{result['peak_mb']:>7.1f} MB peak"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--articles", type=int, default=250, help="articles per host (250: about 2,000 pages)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()

    port = free_port()
    replica = start_replica(port, "--articles", str(options.articles), "--no-faults")
    try:
        print(f"replica: {server_capacity(port):.0f} requests/s to one keep-alive client (server ceiling)")
        with tempfile.TemporaryDirectory() as scratch:
            wget = run_wget(port, Path(scratch) / "wget")
            ours = run_scoarchive(port, Path(scratch) / "ours", options.concurrency)
            pipeline = run_scoarchive(
                port, Path(scratch) / "pipeline", options.concurrency, load="--workers=2"
            )
    finally:
        replica.terminate()
        replica.wait()
    print(row("wget (1 connection)", wget))
    print(row(f"scoarchive (conc. {options.concurrency})", ours))
    rate = (ours["pages"] / ours["wall"]) / (wget["pages"] / wget["wall"])
    cpu = (ours["cpu"] / ours["pages"]) / (wget["cpu"] / wget["pages"])
    size = (ours["warc_bytes"] / ours["pages"]) / (wget["warc_bytes"] / wget["pages"])
    print(f"ratio scoarchive/wget: pages/s {rate:.2f}x, CPU/page {cpu:.2f}x, bytes/page {size:.2f}x")
    print(row("pipeline (+extract, load)", pipeline))
    cores = os.cpu_count() or 1
    print(f"pipeline: {pipeline['pages'] / pipeline['wall'] / cores:.1f} pages/s per core ({cores} cores)")

    port = free_port()
    replica = start_replica(port, "--articles", "5", "--large-file-mb", "200")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            large = run_scoarchive(
                port,
                Path(scratch),
                2,
                "--seed",
                "http://eng.sectsco.org/documents/",
                "--max-bytes",
                "300000000",
            )
    finally:
        replica.terminate()
        replica.wait()
    print(f"peak memory crawling a 200 MB file: {large['peak_mb']:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
