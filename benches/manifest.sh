#!/usr/bin/env bash
# apply --manifest against one `ccsig apply` process per file, on N copies
# of a small JPEG with a different signal and credit per file (issue 8).
# Usage: benches/manifest.sh [N] (default 2000); ROUNDS=3 (medians are
# printed); CCSIG=/path/to/ccsig skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
ROUNDS=${ROUNDS:-3}
if [[ -z "${CCSIG:-}" ]]; then
    cargo build --release --quiet
    CCSIG=$PWD/${CARGO_TARGET_DIR:-target}/release/ccsig
fi
WORK=$(mktemp -d /tmp/ccsig-manifest-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
signals=(cc-cr cc-cr-dc cc-cr-ec cc-cr-op)

# A fresh copy of the pristine set and its catalog in $WORK/$1.
fresh() {
    rm -rf "${WORK:?}/$1"
    mkdir -p "$WORK/$1/images"
    echo "path,signal,use,credit_name,credit_url" > "$WORK/$1/catalog.csv"
    for ((i = 0; i < N; i++)); do
        cp sample-images/jpeg/exif.jpg "$WORK/$1/images/img$i.jpg"
        echo "images/img$i.jpg,${signals[i % 4]},train-ai,Contributor $((i % 50)),https://example.org/c/$((i % 50))" \
            >> "$WORK/$1/catalog.csv"
    done
    sync
}

seconds() { # runs "$@", prints the wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

report() { # label seconds
    printf '%-44s %7.2f s  %7.0f files/s\n' "$1" "$2" "$(echo "$N / $2" | bc -l)"
}

loop() {
    tail -n +2 "$WORK/loop/catalog.csv" | while IFS=, read -r path signal use name url; do
        "$CCSIG" apply --signal "$signal" --use "$use" --credit-name "$name" \
            --credit-url "$url" "$WORK/loop/$path"
    done
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The jobs take turns within each round (the machine may be shared); medians.
: > "$WORK/times"
for ((round = 1; round <= ROUNDS; round++)); do
    fresh manifest
    echo "manifest $(seconds "$CCSIG" apply --manifest "$WORK/manifest/catalog.csv")" >> "$WORK/times"
    echo "again $(seconds "$CCSIG" apply --manifest "$WORK/manifest/catalog.csv")" >> "$WORK/times"
    fresh folder
    echo "folder $(seconds "$CCSIG" apply --signal cc-cr --credit-name X "$WORK/folder/images")" >> "$WORK/times"
    fresh loop
    echo "loop $(seconds loop)" >> "$WORK/times"
done
for job in "manifest:apply --manifest (first run)" \
    "again:apply --manifest (again: all unchanged)" \
    "folder:apply FOLDER, one signal (reference)" \
    "loop:one process per file (shell loop)"; do
    report "${job#*:}" "$(awk -v j="${job%%:*}" '$1 == j { print $2 }' "$WORK/times" | median)"
done
