#!/usr/bin/env bash
# The complete audit of a large catalog: `check --manifest --format html`
# against `--format json` (and the table and CSV) on N files, with wall time
# and peak memory (issue 21: HTML within 1.2x of JSON).
# The files are hard links to a few tagged samples (one inode each, so the
# page cache holds them all, as it would the metadata of a warm library):
# what is measured is the audit and its report, not the disk.
# Usage: benches/audit_report.sh [N] (default 100000); ROUNDS=5 (medians);
# CCSIG=/path/to/ccsig skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
ROUNDS=${ROUNDS:-5}
if [[ -z "${CCSIG:-}" ]]; then
    cargo build --release --quiet
    CCSIG=$PWD/${CARGO_TARGET_DIR:-target}/release/ccsig
fi
WORK=$(mktemp -d /tmp/ccsig-audit-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# N files in folders of 1,000, a catalog naming them with 50 contributors;
# one row in 20 asks for another signal than the file has (a finding).
python3 - "$WORK" "$N" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
sources = [("sample-images/tagged/ccsig-cr-op.jpg", "cc-cr-op"),
           ("sample-images/tagged/ccsig-cr.png", "cc-cr"),
           ("sample-images/tagged/ccsig-ec.webp", "cc-cr-ec"),
           ("sample-images/jpeg/plain.jpg", "cc-cr")]
with open(os.path.join(work, "catalog.csv"), "w") as catalog:
    catalog.write("path,signal,use,credit_name,credit_url\n")
    for i in range(n):
        src, signal = sources[i % len(sources)]
        folder = os.path.join(work, "images", f"batch{i // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        name = f"img{i:06d}{os.path.splitext(src)[1]}"
        os.link(src, os.path.join(folder, name))
        if i % 20 == 0:
            signal = "cc-cr-dc"
        catalog.write(f"images/batch{i // 1000:03d}/{name},{signal},train-ai,Contributor {i % 50},\n")
PY

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One run: wall seconds and peak RSS (KiB) of the process, from GNU time.
run() { # format
    local out="$WORK/out.$1"
    /usr/bin/time -f '%e %M' -o "$WORK/time" \
        "$CCSIG" check --manifest "$WORK/catalog.csv" --format "$1" > "$out" 2> /dev/null || true
    # GNU time says "Command exited with non-zero status 1" first when it did.
    echo "$1 $(tail -n 1 "$WORK/time") $(stat -c %s "$out")" >> "$WORK/times"
}

formats=(json html jsonl csv table)
"$CCSIG" check --manifest "$WORK/catalog.csv" --format json > /dev/null 2>&1 || true # warm the cache
: > "$WORK/times"
# The formats take turns within each round (the machine may be shared).
for ((round = 1; round <= ROUNDS; round++)); do
    for f in "${formats[@]}"; do run "$f"; done
done

echo "check --manifest on $N files, median of $ROUNDS runs ($(nproc) cores)"
printf '%-7s %9s %12s %12s\n' format wall "peak RSS" output
json_wall=
for f in "${formats[@]}"; do
    wall=$(awk -v f="$f" '$1 == f { print $2 }' "$WORK/times" | median)
    rss=$(awk -v f="$f" '$1 == f { print $3 }' "$WORK/times" | median)
    size=$(awk -v f="$f" '$1 == f { print $4 }' "$WORK/times" | median)
    [[ $f == json ]] && json_wall=$wall
    printf '%-7s %8.2fs %9.1f MB %9.1f MB  %sx json\n' "$f" "$wall" "$(echo "$rss / 1024" | bc -l)" \
        "$(echo "$size / 1000000" | bc -l)" "$(echo "scale=2; $wall / $json_wall" | bc -l)"
done
