#!/usr/bin/env python3
"""What deciding while downloading saves (examples/download_decide.py): an
image library served by a local nginx, every file fetched by the example's
own code on `--jobs` threads in three ways: whole downloads (GET, then
decide), `--mode ranged` (decide_ranged over Range GETs: the first asks
for the head and the tail together, a multi-range request) and `--mode
stream` (StreamDecider over one GET; a usable image is read to its end, a
"no" stops it). Reports files/s, bytes fetched (every body byte, a
multipart answer's framing included) as a share of the library's bytes,
and requests per file by format.

    python benches/download.py DIR [--latency-ms 20] [--mbit 0] [--jobs 32] \\
        [--unknown allow] [--netem] [--only JPEG] [--runs 3] [--repeat 1]

DIR: an image library (benches/run.sh makes /tmp/ccsig-bench/work/lib-full,
200 JPEG, 40 PNG, 200 WebP). Needs nginx and the Python package.

`--repeat N` fetches the list N times a run (the counts and shares are per
fetch): a run of 200 small ranged reads lasts a few hundred milliseconds,
of which the robots.txt fetch (which every thread waits for) and each
thread's connection set-up take a fixed 60 ms at 20 ms a round trip; a
downloader working through millions of URLs pays those once.

The latency: with `--netem` (root, and a kernel with sch_netem), `tc qdisc
add dev lo root netem delay HALF` delays each packet on loopback, HALF each
way; the qdisc is removed afterwards whatever happens. Otherwise the client
sleeps the latency once per request (the round trip to the first byte) and
once per new connection (the TCP handshake). `--mbit N` also makes each
connection's reads take the time N Mbit/s would (0: loopback's speed).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(HERE.parent / "examples"))
import download_decide as dd  # noqa: E402

MODES = ["whole", "ranged", "stream"]

NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    types {{ image/jpeg jpg; image/png png; image/webp webp; }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def start_nginx(root: Path, tmp: Path) -> tuple:
    """(process, port): nginx serving `root`, as the current user."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, root=root, port=port))
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"nginx did not start: {(tmp / 'error.log').read_text()}")


class Netem:
    """A delay on every loopback packet, removed on exit."""

    def __init__(self, latency: float):
        self.half_ms = latency * 1000 / 2

    def __enter__(self):
        subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
                        f"{self.half_ms:g}ms"], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], check=False)


def modelled_client(latency: float, mbit: float) -> type:
    """The example's Client, with a round trip slept per request and per
    new connection, and reads slowed to `mbit` per connection."""

    class Throttled(dd.Response):
        def read(self, n=dd.CHUNK):
            data = super().read(n)
            if mbit:
                time.sleep(len(data) * 8 / (mbit * 1e6))
            return data

    class Modelled(dd.Client):
        response_class = Throttled

        def _connect(self, key):
            time.sleep(latency)
            return super()._connect(key)

        def _request(self, url, headers):
            time.sleep(latency)
            return super()._request(url, headers)

    return Modelled


def library(root: Path) -> list:
    """(path relative to root, format, size) of every file."""
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WebP"}.get(
                path.suffix.lower(), path.suffix)
            files.append((path.relative_to(root).as_posix(), fmt, path.stat().st_size))
    return files


def run_mode(mode: str, base: str, files: list, args, client_class) -> tuple:
    """(records, seconds): every file through the example's process()."""
    options = dd.Options(mode=mode, unknown=args.unknown, we_give=args.we_give,
                         timeout=60)
    client = client_class(options.user_agent, options.timeout)
    ctx = dd.Context(options, client, dd.RobotsCache(client))
    urls = [f"{base}/{rel}" for rel, _, _ in files]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        records = list(dd.in_order(pool, lambda u: dd.process(u, ctx), urls, args.jobs * 4))
    return records, time.perf_counter() - start


def check_agreement(results: dict) -> None:
    """Every mode decides every file as the whole download does."""
    for mode, (records, _) in results.items():
        for mine, whole in zip(records, results["whole"][0]):
            same = ("decision", "usable") if mine["stopped_early"] else (
                "decision", "usable", "state", "sources")
            if any(mine[k] != whole[k] for k in same) or mine["state"] == "unreadable":
                sys.exit(f"{mode}: {mine['url']}: {mine['reason']} / whole: {whole['reason']}")


def report(results: dict, files: list, args, how: str) -> str:
    total = sum(size for _, _, size in files)
    lines = [
        (f"{len(files) // args.repeat} files, each fetched {args.repeat} times a run "
         f"({len(files)} fetches, {total / 1e6:.0f} MB)" if args.repeat > 1 else
         f"{len(files)} files ({total / 1e6:.0f} MB)")
        + f" from nginx on 127.0.0.1, {args.jobs} threads, "
        f"median of {args.runs} runs, "
        f"{args.latency_ms:g} ms a round trip ({how}), "
        + (f"{args.mbit:g} Mbit/s a connection" if args.mbit else "loopback bandwidth")
        + f", `--unknown {args.unknown}`"
        + (f" `--we-give {args.we_give}`" if args.we_give else "") + ".",
        "",
        "| mode | seconds | files/s | vs whole | requests/file | bytes fetched | share of bytes "
        "| not read whole |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    whole_rate = len(files) / results["whole"][1]
    for mode, (records, seconds) in results.items():
        got = sum(r["bytes_fetched"] for r in records)
        requests = sum(r["requests"] for r in records)
        rate = len(files) / seconds
        lines.append(
            f"| {mode} | {seconds:.2f} | {rate:.0f} | {rate / whole_rate:.1f}x "
            f"| {requests / len(files):.2f} | {got / 1e6:.1f} MB | {100 * got / total:.2f}% "
            f"| {sum(r['stopped_early'] for r in records)} |")
    lines += ["", "By format (requests per file / share of the format's bytes):", "",
              "| format | files | MB | " + " | ".join(MODES) + " |",
              "| --- | ---: | ---: | " + " | ".join("---:" for _ in MODES) + " |"]
    by_format = collections.defaultdict(list)
    for i, (_, fmt, _) in enumerate(files):
        by_format[fmt].append(i)
    for fmt, idx in sorted(by_format.items()):
        size = sum(files[i][2] for i in idx)
        cells = []
        for mode in MODES:
            records = results[mode][0]
            requests = sum(records[i]["requests"] for i in idx) / len(idx)
            share = 100 * sum(records[i]["bytes_fetched"] for i in idx) / size
            cells.append(f"{requests:.2f} / {share:.2f}%")
        lines.append(f"| {fmt} | {len(idx)} | {size / 1e6:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path)
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--mbit", type=float, default=0.0, help="per connection; 0: unlimited")
    p.add_argument("--jobs", type=int, default=32)
    p.add_argument("--unknown", default="allow",
                   help="allow (default): the untagged library is usable, read whole by stream")
    p.add_argument("--we-give", default="")
    p.add_argument("--netem", action="store_true", help="delay loopback with tc netem (root)")
    p.add_argument("--only", help="one format: JPEG, PNG or WebP")
    p.add_argument("--runs", type=int, default=3, help="runs of each mode; the median time counts")
    p.add_argument("--repeat", type=int, default=1,
                   help="fetch the list this many times a run (the steady state)")
    args = p.parse_args()
    files = [f for f in library(args.dir) if args.only in (None, f[1])] * args.repeat
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_nginx(args.dir.resolve(), Path(tmp))
        try:
            client_class = modelled_client(0 if args.netem else latency, args.mbit)
            base = f"http://127.0.0.1:{port}"
            runs = collections.defaultdict(list)
            with Netem(latency) if args.netem else contextlib.nullcontext():
                # Modes take turns, so that a slower spell of the machine
                # falls on all of them; each keeps its median time.
                for _ in range(args.runs):
                    for mode in MODES:
                        runs[mode].append(run_mode(mode, base, files, args, client_class))
            results = {
                mode: (got[0][0], statistics.median(seconds for _, seconds in got))
                for mode, got in runs.items()
            }
        finally:
            proc.terminate()
            proc.wait()
    check_agreement(results)
    how = "tc netem on lo" if args.netem else "slept by the client per request and per connection"
    print(report(results, files, args, how))


if __name__ == "__main__":
    main()
