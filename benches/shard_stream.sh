#!/usr/bin/env bash
# Streaming a WebDataset shard (issue 20): `ccsig decide` over a 1.5 GB tar
# shard against `cat` reading it, with peak memory. Usage:
#
#   benches/shard_stream.sh LIBRARY [RUNS]
#
# LIBRARY: a folder of images (benches/run.sh makes one under
# /tmp/ccsig-bench/work/lib-full: 200 JPEG, 40 PNG, 200 WebP, 1.5 GB).
# Two shards are made next to it, once: `mixed.tar` (the library as it is)
# and `jpeg.tar` (its JPEGs, repeated to 1.5 GB). The page cache is warm
# (one read before the runs), so both commands read from memory and the
# comparison is of the work each does per byte. Prints the median wall
# seconds and peak RSS of RUNS runs (default 5). CCSIG: a prebuilt binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
lib="${1:?usage: benches/shard_stream.sh LIBRARY [RUNS]}"
runs="${2:-5}"
work="$(dirname "$lib")/shards"
mkdir -p "$work"

if [ -z "${CCSIG:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin ccsig
    CCSIG="${CARGO_TARGET_DIR:-$repo/target}/release/ccsig"
fi

if [ ! -f "$work/mixed.tar" ]; then
    (cd "$lib" && tar cf "$work/mixed.tar.part" --exclude stamp .)
    mv "$work/mixed.tar.part" "$work/mixed.tar"
fi
if [ ! -f "$work/jpeg.tar" ]; then
    python3 - "$lib" "$work/jpeg.tar.part" <<'PY'
import os, sys, tarfile
lib, out = sys.argv[1], sys.argv[2]
jpegs = sorted(os.path.join(d, n) for d, _, ns in os.walk(lib) for n in ns if n.endswith(".jpg"))
total, i = 0, 0
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
    while total < 1.5e9:
        path = jpegs[i % len(jpegs)]
        tar.add(path, arcname=f"{i:06d}.jpg")
        total += os.path.getsize(path)
        i += 1
PY
    mv "$work/jpeg.tar.part" "$work/jpeg.tar"
fi

# Median wall seconds and peak RSS (MB) of `runs` runs of a command.
measure() {
    local out
    out="$(mktemp)"
    for _ in $(seq "$runs"); do
        /usr/bin/time -a -o "$out" -f "%e %M" "$@" >/dev/null 2>&1
    done
    sort -n "$out" | awk '{ t[NR] = $1; m[NR] = $2 } END {
        i = int((NR + 1) / 2); printf "%.2f %.1f", t[i], m[i] / 1024 }'
    rm -f "$out"
}

echo "| shard | size GB | members | cat s | ccsig decide s | ratio | ccsig peak RSS MB | largest member MB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for shard in jpeg mixed; do
    tar_file="$work/$shard.tar"
    cat "$tar_file" >/dev/null
    read -r cat_s _ <<<"$(measure cat "$tar_file")"
    read -r ccsig_s ccsig_mb <<<"$(measure "$CCSIG" decide --use train-ai "$tar_file")"
    members="$(tar tf "$tar_file" | grep -c -v '/$')"
    largest="$(tar tvf "$tar_file" | awk '{ if ($3 > m) m = $3 } END { printf "%.1f", m / 1048576 }')"
    size="$(stat -c %s "$tar_file" | awk '{ printf "%.2f", $1 / 1e9 }')"
    ratio="$(awk -v a="$ccsig_s" -v b="$cat_s" 'BEGIN { printf "%.2f", a / b }')"
    echo "| $shard | $size | $members | $cat_s | $ccsig_s | ${ratio}x | $ccsig_mb | $largest |"
done
