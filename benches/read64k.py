"""Baseline for `read`: walk DIR (sorted), open every file, read its first
64 KiB, close it. Prints the in-process elapsed seconds and the file count
(interpreter start-up excluded; the caller also times the whole process)."""

import os
import sys
import time

t0 = time.perf_counter()
count = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        with open(os.path.join(root, name), "rb") as f:
            f.read(65536)
        count += 1
print(f"{time.perf_counter() - t0:.6f} {count}")
