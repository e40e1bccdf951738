#!/usr/bin/env bash
# ccsig benchmark (issue 5). Usage:
#
#   benches/run.sh [--quick] [--cold] [--out DIR] [--work DIR]
#                  [--only write,read,again,big,small,floor,shard,threads]
#   benches/run.sh --only mixed [COPIES] [RUNS]
#
# Builds ccsig (release), generates the image library under --work (default
# /tmp/ccsig-bench/work, cached between runs), times ccsig, exiv2, ExifTool
# stegoeggo (when installed), cp and the read floor (benches/floor.rs) on
# fresh copies, and writes DIR/results.md and DIR/results.json
# (default DIR: /tmp/ccsig-bench). See docs/benchmarks.md.
#
# Environment: EXIFTOOL (default: exiftool on PATH), STEGOEGGO (default:
# stegoeggo on PATH or in ~/.cargo/bin), FLOOR (a prebuilt floor program),
# CCSIG (a prebuilt
# binary: skips the build; CCSIG_REV says what it was built from),
# CARGO_TARGET_DIR (honoured by the build).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
EXIFTOOL="${EXIFTOOL:-exiftool}"

# A photographer's mixed archive (TIFF, HEIC, AVIF, JPEG XL, RAW with
# sidecars; issue 19) has a script of its own.
if [ "${1:-}" = "--only" ] && [ "${2:-}" = "mixed" ]; then
    exec bash "$here/mixed_archive.sh" "${@:3}"
fi

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 ($2)"); }
need python3 "apt-get install -y python3"
need convert "ImageMagick: apt-get install -y imagemagick"
need cwebp "apt-get install -y webp"
need exiv2 "apt-get install -y exiv2"
need "$EXIFTOOL" "ExifTool: apt-get install -y libimage-exiftool-perl, or set EXIFTOOL=/path/to/exiftool"
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (GNU time: apt-get install -y time)")
if [ -z "${CCSIG:-}" ]; then need cargo "Rust toolchain: https://rustup.rs"; fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "benches/run.sh: missing prerequisites:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 2
fi

rev="${CCSIG_REV:-prebuilt binary (CCSIG); tree at run time: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo "?")}"
if [ -z "${CCSIG:-}" ]; then
    rev="git $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?') at build time"
    echo "[bench] building ccsig (cargo build --release)" >&2
    (cd "$repo" && cargo build --release --quiet)
    CCSIG="${CARGO_TARGET_DIR:-$repo/target}/release/ccsig"
    case "$CCSIG" in /*) ;; *) CCSIG="$repo/$CCSIG" ;; esac
fi
[ -x "$CCSIG" ] || { echo "benches/run.sh: no ccsig binary at $CCSIG" >&2; exit 2; }

# The floor a read is measured against (benches/floor.rs); FLOOR=/path skips the build.
if [ -z "${FLOOR:-}" ]; then
    echo "[bench] building the floor program (cargo build --release --bench floor)" >&2
    FLOOR=$(cd "$repo" && cargo build --release --quiet --bench floor --message-format=json \
        | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "floor" and m.get("executable"):
        print(m["executable"])')
fi
[ -x "$FLOOR" ] || { echo "benches/run.sh: no floor program at $FLOOR" >&2; exit 2; }
STEGOEGGO="${STEGOEGGO:-$(command -v stegoeggo || true)}"
if [ -z "$STEGOEGGO" ] && [ -x "$HOME/.cargo/bin/stegoeggo" ]; then STEGOEGGO="$HOME/.cargo/bin/stegoeggo"; fi
[ -n "$STEGOEGGO" ] || echo "[bench] stegoeggo not installed (cargo install --locked stegoeggo-cli): left out of the write jobs" >&2

exec python3 "$here/bench.py" --ccsig "$CCSIG" --exiftool "$(command -v "$EXIFTOOL")" \
    --floor "$FLOOR" --stegoeggo "$STEGOEGGO" \
    --ccsig-rev "$rev" --command "benches/run.sh $*" "$@"
