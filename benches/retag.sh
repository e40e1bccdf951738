#!/usr/bin/env bash
# Re-tagging in place versus first tagging (issue 12, "Writes"). Usage:
#
#   benches/retag.sh [LIBRARY] [RUNS]
#
# LIBRARY is the 440-file library benches/run.sh generates
# (default /tmp/ccsig-bench/work/lib-full: 200 JPEGs of 4 MB, 40 PNGs of
# 16 MB, 200 WebPs, tagged by ExifTool). From it this takes the 220-file
# set of the issue: the first 100 JPEGs, 20 PNGs and 100 WebPs. Each run,
# on a fresh copy (untimed: cp -a, then sync): `ccsig apply --signal cc-cr`
# (first tagging), `ccsig apply --signal cc-cr-op` (re-tagging with another
# signal, in place where the packet allows it) and, on another fresh copy
# tagged once, the same re-tag with --no-in-place (a full rewrite). Wall
# times are medians of RUNS (default 5); one more run of each under
# `strace -f` counts the bytes written (write, pwrite64, copy_file_range).
# RETAG_KINDS picks another set (default "jpeg:100 png:20 webp:100"; e.g.
# "jpeg:100 webp:100" leaves out ExifTool's PNGs, whose packets have no
# padding and say end='r', so they are rewritten whole on every re-tag);
# RETAG_WORK is where the copies go (default /tmp/ccsig-retag).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
lib="${1:-/tmp/ccsig-bench/work/lib-full}"
runs="${2:-5}"
ccsig="${CCSIG:-$root/target/release/ccsig}"
work="${RETAG_WORK:-/tmp/ccsig-retag}"
[ -x "$ccsig" ] || (cd "$root" && cargo build --release --quiet)
[ -d "$lib/jpeg" ] || { echo "retag.sh: no library at $lib (benches/run.sh generates it)" >&2; exit 2; }

pristine="$work/pristine"
if [ ! -f "$pristine/.done" ]; then
    rm -rf "$pristine"
    mkdir -p "$pristine"
    for spec in ${RETAG_KINDS:-jpeg:100 png:20 webp:100}; do
        kind="${spec%%:*}"
        n="${spec##*:}"
        mkdir "$pristine/$kind"
        ls "$lib/$kind" | sort | head -n "$n" | while read -r f; do
            cp -a "$lib/$kind/$f" "$pristine/$kind/$f"
        done
    done
    touch "$pristine/.done"
fi
files=$(find "$pristine" -type f ! -name .done | wc -l)
bytes=$(du -sb --exclude=.done "$pristine" | cut -f1)

fresh() { rm -rf "$work/lib"; cp -a "$pristine" "$work/lib"; rm -f "$work/lib/.done"; sync; }
now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
written() { # bytes written by a traced command
    strace -f -qq -e trace=write,pwrite64,copy_file_range -o "$work/trace" "$@" >/dev/null
    awk '/= [0-9]+$/ {s += $NF} END {print s + 0}' "$work/trace"
}

first=() retag=() full=()
for _ in $(seq "$runs"); do
    fresh
    first+=("$(timed "$ccsig" apply --signal cc-cr "$work/lib")")
    sync
    retag+=("$(timed "$ccsig" apply --signal cc-cr-op "$work/lib")")
    fresh
    "$ccsig" apply --signal cc-cr "$work/lib" >/dev/null
    sync
    full+=("$(timed "$ccsig" apply --no-in-place --signal cc-cr-op "$work/lib")")
done
fresh
w_first=$(written "$ccsig" apply --signal cc-cr "$work/lib")
sync
in_place=$("$ccsig" apply --signal cc-cr-op --format jsonl "$work/lib" | grep -c "written in place" || true)
"$ccsig" apply --signal cc-cr "$work/lib" >/dev/null
sync
w_retag=$(written "$ccsig" apply --signal cc-cr-op "$work/lib")

m_first=$(printf '%s\n' "${first[@]}" | median)
m_retag=$(printf '%s\n' "${retag[@]}" | median)
m_full=$(printf '%s\n' "${full[@]}" | median)
echo "library: $files files, $((bytes / 1000000)) MB ($pristine)"
echo "first tagging (apply --signal cc-cr):        median $m_first s of: ${first[*]}"
echo "re-tag (apply --signal cc-cr-op):             median $m_retag s of: ${retag[*]}"
echo "re-tag --no-in-place (full rewrite):          median $m_full s of: ${full[*]}"
echo "speed-up of the re-tag over the first tagging: $(echo "$m_first / $m_retag" | bc -l | cut -c1-5)x"
echo "files re-tagged in place: $in_place of $files"
echo "bytes written (strace): first tagging $w_first, re-tag $w_retag"
