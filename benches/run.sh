#!/usr/bin/env bash
# ccsig benchmark (issue 5). Usage:
#
#   benches/run.sh [--quick] [--out DIR] [--work DIR] [--only write,read,again,big,small]
#
# Builds ccsig (release), generates the image library under --work (default
# /tmp/ccsig-bench/work, cached between runs), times ccsig, exiv2, ExifTool
# and cp on fresh copies, and writes DIR/results.md and DIR/results.json
# (default DIR: /tmp/ccsig-bench). See docs/benchmarks.md.
#
# Environment: EXIFTOOL (default: exiftool on PATH), CCSIG (a prebuilt
# binary: skips the build; CCSIG_REV says what it was built from),
# CARGO_TARGET_DIR (honoured by the build).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
EXIFTOOL="${EXIFTOOL:-exiftool}"

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

exec python3 "$here/bench.py" --ccsig "$CCSIG" --exiftool "$(command -v "$EXIFTOOL")" \
    --ccsig-rev "$rev" --command "benches/run.sh $*" "$@"
