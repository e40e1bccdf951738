#!/usr/bin/env bash
# Runs one fuzz target with AFL++ (cargo-afl, stable toolchain):
#   bash fuzz/run.sh TARGET SECONDS [afl-fuzz options...]
# Targets: jpeg_scan png_scan webp_scan tiff_scan jxl_scan heif_scan xmp iim expression read apply shard c2pa_read.
# Seeds come from fuzz/seeds.py; findings land in
# fuzz/target/out/TARGET/default/{crashes,hangs}; `fuzzer_stats` there holds
# the figures (execs_done, edges_found, bitmap_cvg, saved_crashes, ...).
# Set FUZZ_RESUME=1 to go on from the last run's queue instead of the seeds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
target="$1"; seconds="$2"; shift 2
[[ -x "target/release/${target}" ]] || cargo afl build --release
seeds="target/seeds/${target}"
[[ -d "$seeds" ]] || python3 seeds.py target/seeds >/dev/null
input="$seeds"
if [[ "${FUZZ_RESUME:-0}" == 1 && -d "target/out/${target}/default/queue" ]]; then
    input="-"
fi
mkdir -p target/out
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1
exec cargo afl fuzz -i "$input" -o "target/out/${target}" -x ccsig.dict \
    -m 2048 -t 1000 -V "$seconds" "$@" "target/release/${target}"
