#!/usr/bin/env bash
# A photographer's mixed archive (issue 19): TIFF (little- and big-endian,
# tiled, with ExifTool's metadata), HEIC and AVIF (ImageMagick, heif-enc,
# avifenc, ExifTool), JPEG XL (bare, container, a lossless JPEG transcode,
# ExifTool's), the pair's JPEG, and camera RAW (CR2 with a Lightroom
# sidecar, NEF without one, RAF with a darktable sidecar). Usage:
#
#   benches/mixed_archive.sh [COPIES] [RUNS]
#
# COPIES (default 100) copies of each of 18 files of sample-images/tiff,
# heif, jxl and raw are made; on fresh copies each run (untimed: cp -a,
# then sync) /usr/bin/time measures:
#   floor         cp -a of the archive, then sync (the bytes a rewrite moves)
#   read-floor    open every file and read its first 64 KiB (benches/floor.rs;
#                 FLOOR names a prebuilt one)
#   ccsig-apply   ccsig apply --signal cc-cr (TIFF, HEIC, AVIF, JPEG XL and
#                 JPEG written, RAW through sidecars: 3 updated, 1 created
#                 per copy)
#   exiftool-apply ExifTool writing plus:DataMining into the TIFFs, HEICs,
#                 AVIFs, JPEG XLs and JPEGs in place, then creating the RAW
#                 sidecars that do not exist (-o %d%f.xmp; it cannot update
#                 existing ones in that call)
#   ccsig-read    ccsig check (reads every image and its sidecars)
#   exiftool-read exiftool -r -XMP:all
#   exiv2-read    exiv2 -px on the TIFFs, JPEG XLs and JPEGs (it reads no
#                 sidecar by itself; Debian's exiv2 0.27 reads no HEIF)
# and prints the median (of RUNS, default 5) wall and CPU seconds, files/s
# and peak RSS. MIXED_WORK is where the copies go (default
# /tmp/ccsig-mixed-bench); EXIFTOOL and EXIV2 name the tools.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
copies="${1:-100}"
runs="${2:-5}"
ccsig="${CCSIG:-$root/target/release/ccsig}"
exiftool="${EXIFTOOL:-exiftool}"
exiv2="${EXIV2:-exiv2}"
work="${MIXED_WORK:-/tmp/ccsig-mixed-bench}"
[ -x "$ccsig" ] || (cd "$root" && cargo build --release --quiet)

rm -rf "$work"
mkdir -p "$work/archive"
for i in $(seq -w "$copies"); do
    d="$work/archive/$i"
    mkdir -p "$d"
    cp "$root"/sample-images/tiff/*.tif "$root"/sample-images/heif/*.heic \
        "$root"/sample-images/heif/*.avif "$root"/sample-images/jxl/*.jxl "$d/"
    # Refused by design (BigTIFF is read, not written; the unpadded
    # transcode has no room for a signal): each would be a failure per copy.
    rm "$d/bigtiff.tif" "$d/from-jpeg-unpadded.jxl"
    cp "$root"/sample-images/raw/IMG_0001.* "$root"/sample-images/raw/DSC_0002.NEF \
        "$root"/sample-images/raw/DSCF0003.* "$d/"
done
files=$(find "$work/archive" -type f ! -name '*.xmp' | wc -l)

# shellcheck source=benches/timing.sh
. "$here/timing.sh"
measure() { # name command...: RUNS timed runs on fresh copies of the archive
    local name="$1"; shift
    time_runs "$runs" "$work/archive" "$work/run" "$work" "$@"
    printf '| %-14s | %6.2f | %6.2f | %7.0f | %6.1f |\n' \
        "$name" "$WALL" "$CPU" "$(echo "$files / $WALL" | bc -l)" "$(echo "$RSS / 1024" | bc -l)"
}
echo "$files images ($copies copies of $((files / copies))), $(find "$work/archive" -name '*.xmp' | wc -l) sidecars, median of $runs; $(nproc) cores"
echo "| command | wall s | cpu s | files/s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: | ---: |"
measure floor sh -c "cp -a '$work/archive' '$work/floor' && sync && rm -rf '$work/floor'"
measure ccsig-apply "$ccsig" apply --signal cc-cr "$work/run"
measure exiftool-apply sh -c "'$exiftool' -q -q -r -n -m -overwrite_original -ext tif -ext heic -ext avif -ext jxl -ext jpg \
    -XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT '$work/run'; \
    '$exiftool' -q -q -r -n -ext cr2 -ext nef -ext raf -o '%d%f.xmp' \
    -XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT '$work/run'; sync"
floor_bin="${FLOOR:-$(cd "$root" && cargo build --release --quiet --bench floor --message-format=json \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "floor" and m.get("executable"):
        print(m["executable"])')}"
measure read-floor "$floor_bin" "$work/run"
measure ccsig-read "$ccsig" check "$work/run"
measure exiftool-read "$exiftool" -q -r -XMP:all "$work/run"
measure exiv2-read sh -c "find '$work/run' \\( -name '*.tif' -o -name '*.jxl' -o -name '*.JPG' \\) -print0 | xargs -0 '$exiv2' -px"
