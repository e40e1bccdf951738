#!/usr/bin/env bash
# Runs every fuzz target in turn, one afl-fuzz at a time, for SECONDS each,
# and prints the figures as a Markdown table (docs/reliability.md):
#   bash fuzz/campaign.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="$1"; shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(read apply jpeg_scan png_scan webp_scan tiff_scan jxl_scan heif_scan xmp iim shard expression c2pa_read)
cargo afl build --release
rm -rf target/seeds && python3 seeds.py target/seeds
mkdir -p target/logs
for t in "${targets[@]}"; do
    [[ "${FUZZ_RESUME:-0}" == 1 ]] || rm -rf "target/out/${t}"
    echo "== ${t}: ${seconds} s ($(date -u +%H:%M:%S) UTC)"
    bash run.sh "$t" "$seconds" > "target/logs/${t}.log" 2>&1 || echo "   afl-fuzz failed: target/logs/${t}.log"
done
stat() { sed -n "s/^$2 *: //p" "target/out/$1/default/fuzzer_stats"; }
echo "| target | executions | execs/s | edges | coverage | crashes | hangs | wall time (s) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
total=0
for t in "${targets[@]}"; do
    execs=$(stat "$t" execs_done); total=$((total + execs))
    secs=$(stat "$t" run_time)
    echo "| ${t} | ${execs} | $((execs / (secs > 0 ? secs : 1))) | $(stat "$t" edges_found) | $(stat "$t" bitmap_cvg) | $(stat "$t" saved_crashes) | $(stat "$t" saved_hangs) | ${secs} |"
done
echo "total executions: ${total}"
