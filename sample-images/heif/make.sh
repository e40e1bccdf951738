#!/usr/bin/env bash
# HEIF/HEIC and AVIF samples for ccsig, made with ImageMagick (6.9.11-60,
# through libheif 1.15.1) and ExifTool 13.59 for the XMP item. ccsig reads
# their XMP and tags them through sidecars (it does not write them yet).
# As with generate.sh, other tool versions give other bytes.
#
#   EXIFTOOL=/path/to/exiftool bash sample-images/heif/make.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
et=${EXIFTOOL:-exiftool}
export MAGICK_THREAD_LIMIT=1
convert -seed 1903 -size 64x48 plasma:steelblue-orange "$out/plain.heic"
convert -seed 1903 -size 64x48 plasma:steelblue-orange "$out/plain.avif"
for ext in heic avif; do
  cp "$out/plain.$ext" "$out/exiftool-xmp.$ext"
  "$et" -config '' -q -overwrite_original -n \
    -XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING -XMP-dc:Creator="Ada Example" \
    "$out/exiftool-xmp.$ext"
done
