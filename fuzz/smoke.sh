#!/usr/bin/env bash
# CI's fuzz smoke run: builds every fuzz target with cargo-afl (AFL++ on the
# stable toolchain) and fuzzes each for a few seconds from its seeds,
# failing if a seed or a mutation crashes or hangs a target:
#   bash fuzz/smoke.sh [SECONDS_PER_TARGET]   (default 5)
# Installs cargo-afl (which builds AFL++ from source) when missing. The
# long runs behind the figures in docs/reliability.md use fuzz/campaign.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-5}"
CARGO_AFL_VERSION="0.18.2"   # keep in step with the afl crate in Cargo.lock
targets=(jpeg_scan png_scan webp_scan tiff_scan jxl_scan heif_scan xmp iim expression read apply shard partial_read c2pa_read)

if ! cargo afl --version 2>/dev/null | grep -q "cargo-afl ${CARGO_AFL_VERSION}"; then
    cargo install --locked cargo-afl --version "$CARGO_AFL_VERSION"
fi
# AFL++ itself, built once per toolchain; cargo-afl refuses to rebuild it.
if ! out="$(cargo afl config --build 2>&1)"; then
    grep -q "already built" <<<"$out" || { echo "$out" >&2; exit 1; }
fi

# The targets' build outlives the clone, like the rest of CI's cache.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${HOME}/.cache/ccsig-ci/fuzz-target}"
cargo fmt --check
cargo afl build --release --locked
work="$(mktemp -d)"
python3 seeds.py "$work/seeds" >/dev/null
mkdir -p "$work/out"

# No AFL_SKIP_CRASHES: a seed (the regression corpus among them) that
# crashes a target stops the run, and that is a failure.
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_QUIET=1
failed=0
for t in "${targets[@]}"; do
    if ! cargo afl fuzz -i "$work/seeds/$t" -o "$work/out/$t" -x ccsig.dict \
        -m 2048 -t 1000 -V "$seconds" "${CARGO_TARGET_DIR}/release/$t" \
        >"$work/$t.log" 2>&1; then
        echo "fuzz smoke: afl-fuzz failed on $t:" >&2
        tail -n 30 "$work/$t.log" >&2
        failed=1
        continue
    fi
    stats="$work/out/$t/default/fuzzer_stats"
    value() { sed -n "s/^$1 *: //p" "$stats"; }
    printf '%-11s %9s execs %6s/s  edges %5s  crashes %s  hangs %s\n' "$t" \
        "$(value execs_done)" "$(value execs_per_sec)" "$(value edges_found)" \
        "$(value saved_crashes)" "$(value saved_hangs)"
    if [[ "$(value saved_crashes)" != 0 || "$(value saved_hangs)" != 0 ]]; then
        echo "fuzz smoke: $t crashed or hung; inputs:" >&2
        ls "$work/out/$t/default/crashes" "$work/out/$t/default/hangs" >&2
        failed=1
    fi
done
if [[ "$failed" == 0 ]]; then
    rm -rf "$work"
else
    echo "fuzz smoke: inputs and logs kept in $work" >&2
fi
exit "$failed"
