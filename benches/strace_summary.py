"""Summarises an `strace -f -T -o FILE` trace: per syscall, the count, the
time spent inside it (sum of <...> durations over all threads) and, for
I/O calls, the bytes they returned; and the most frequent failing calls.
Usage: strace_summary.py TRACE [WALL_SECS] | strace_summary.py --brief TRACE"""

import collections
import re
import sys

IO = {"read", "pread64", "readv", "preadv", "write", "pwrite64", "writev",
      "copy_file_range", "sendfile", "splice"}
START = re.compile(r"^\d+\s+(?:\d+:\d+:\d+\.\d+\s+)?([a-z0-9_]+)\(")
RESUMED = re.compile(r"<\.\.\. ([a-z0-9_]+) resumed>")
RESULT = re.compile(r"\)\s+=\s+(-?\d+|\?|0x[0-9a-f]+)(?:\s+[A-Z].*?)?\s+<(\d+\.\d+)>\s*$")


def summarise(path):
    count = collections.Counter()
    secs = collections.Counter()
    nbytes = collections.Counter()
    errors = collections.Counter()
    failing = collections.Counter()
    pending = {}  # pid -> the start of a call another thread interrupted
    with open(path, errors="replace") as f:
        for line in f:
            pid = line.split(None, 1)[0]
            if "unfinished ..." in line:
                pending[pid] = line
                continue
            if RESUMED.search(line) and pid in pending:
                line = pending.pop(pid).split("<unfinished")[0] + " " + line
            m = RESUMED.search(line) or START.match(line)
            if not m:
                continue
            name = m.group(1)
            r = RESULT.search(line)
            if not r:
                continue
            count[name] += 1
            secs[name] += float(r.group(2))
            ret = r.group(1)
            if ret.startswith("-"):
                errors[name] += 1
                arg = re.search(r'"([^"]*)"', line)
                err = re.search(r"= -1 ([A-Z]+)", line)
                failing[(name, arg.group(1) if arg else "", err.group(1) if err else "")] += 1
            elif name in IO and ret.isdigit():
                nbytes[name] += int(ret)
    return count, secs, nbytes, errors, failing


def main():
    if sys.argv[1] == "--brief":
        count, secs, nbytes, errors, failing = summarise(sys.argv[2])
        parts = [f"{n} {count[n]:,}" for n in ("read", "pread64", "lseek", "statx", "openat")
                 if count[n]]
        print(f"{sum(count.values()):,} syscalls ({', '.join(parts)}); "
              f"{nbytes['read'] + nbytes['pread64']:,} bytes read")
        return
    count, secs, nbytes, errors, failing = summarise(sys.argv[1])
    wall = float(sys.argv[2]) if len(sys.argv) > 2 else None
    total = sum(secs.values())
    print("| syscall | calls | errors | time inside (all threads) | share of syscall time | bytes returned |")
    print("|---|---|---|---|---|---|")
    shown = 0
    for name, _ in secs.most_common():
        if shown >= 12 and name not in IO and name not in ("fsync", "fdatasync"):
            continue
        shown += 1
        b = f"{nbytes[name]:,}" if name in IO else ""
        print(f"| {name} | {count[name]:,} | {errors[name] or ''} | {secs[name]:.3f} s | "
              f"{100 * secs[name] / total if total else 0:.1f}% | {b} |")
    print(f"| **total** | {sum(count.values()):,} | {sum(errors.values()) or ''} | {total:.3f} s | 100% | |")
    print("\n(Rows: the 12 syscalls with the most time, plus every I/O and fsync call.)")
    if failing:
        print("\nMost frequent failing calls: " + "; ".join(
            f"{n}({a!r}) {e} x{c:,}" for (n, a, e), c in failing.most_common(4)))
    if wall:
        print(f"\nWall time of the traced run: {wall:.2f} s (strace slows every syscall down; "
              "counts and bytes are exact, times are inflated).")


if __name__ == "__main__":
    main()
