"""What a ranged read of every file of a library costs (issue 20): bytes
fetched as a share of the library, fetches per file by format, and files/s
with a modelled latency per fetch, against fetching each file whole.

    python3 benches/ranged.py DIR [--latency-ms 20] [--mbit 100] [--jobs 32]

Needs the Python package (pip install ./python). Files are read from the
local disk through the fetch callback; a fetch sleeps the latency (a
round trip) and its bytes' transfer time at `--mbit` per connection, with
`--jobs` files in flight at once, as a downloader would keep them. Every
ranged answer is checked against a read of the whole file.
"""

import argparse
import collections
import concurrent.futures
import os
import sys
import time

import ccsig


def files_of(root):
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if not name.startswith(".") and name != "stamp":
                yield os.path.join(folder, name)


def wait(latency, mbit, n):
    time.sleep(latency + n * 8 / (mbit * 1e6))


def ranged(path, latency, mbit):
    size = os.path.getsize(path)
    stats = {"fetches": 0, "bytes": 0}

    with open(path, "rb") as f:

        def fetch(offset, length):
            data = os.pread(f.fileno(), length, offset)
            wait(latency, mbit, len(data))
            stats["fetches"] += 1
            stats["bytes"] += len(data)
            return data

        signals = ccsig.read_ranged(fetch, size)
    return signals, stats, size


def whole(path, latency, mbit):
    with open(path, "rb") as f:
        data = f.read()
    wait(latency, mbit, len(data))
    return ccsig.read(data), len(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--mbit", type=float, default=100.0)
    p.add_argument("--jobs", type=int, default=32)
    a = p.parse_args()
    paths = list(files_of(a.dir))
    latency = a.latency_ms / 1000
    per_format = collections.defaultdict(lambda: [0, 0, 0, 0])  # files, fetches, bytes, size
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda p: ranged(p, latency, a.mbit), paths))
        ranged_s = time.perf_counter() - start
        start = time.perf_counter()
        wholes = list(pool.map(lambda p: whole(p, latency, a.mbit), paths))
        whole_s = time.perf_counter() - start
    for path, (signals, stats, size), (full, _) in zip(paths, results, wholes):
        if signals.decisions != full.decisions or signals.sources != full.sources:
            sys.exit(f"{path}: the ranged read differs from the whole read")
        row = per_format[signals.format]
        row[0] += 1
        row[1] += stats["fetches"]
        row[2] += stats["bytes"]
        row[3] += size
    total = [sum(r[i] for r in per_format.values()) for i in range(4)]
    print(f"{total[0]} files, {total[3] / 1e6:.1f} MB, {a.latency_ms:g} ms a fetch, "
          f"{a.mbit:g} Mbit/s a connection, {a.jobs} in flight")
    print("| format | files | fetches per file | bytes fetched | share of the bytes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for fmt, (n, fetches, got, size) in sorted(per_format.items()):
        print(f"| {fmt} | {n} | {fetches / n:.2f} | {got / 1e6:.2f} MB | {100 * got / size:.2f}% |")
    print(f"| all | {total[0]} | {total[1] / total[0]:.2f} | {total[2] / 1e6:.2f} MB | {100 * total[2] / total[3]:.2f}% |")
    print(f"ranged: {ranged_s:.2f} s, {total[0] / ranged_s:.0f} files/s; "
          f"whole files (one fetch each): {whole_s:.2f} s, "
          f"{total[0] / whole_s:.0f} files/s")


if __name__ == "__main__":
    main()
