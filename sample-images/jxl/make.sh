#!/usr/bin/env bash
# JPEG XL samples for ccsig, made with libjxl's cjxl (0.7.0, Debian 12's
# libjxl-tools) and ExifTool 13.59. As with generate.sh, other tool
# versions give other bytes: tests check structure and metadata, never
# hashes of regenerated files.
#
#   EXIFTOOL=/path/to/exiftool bash sample-images/jxl/make.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
et=${EXIFTOOL:-exiftool}
export MAGICK_THREAD_LIMIT=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
convert -seed 1904 -size 96x64 plasma:steelblue-orange -blur 0x0.6 \
  +set date:create +set date:modify "PNG24:$tmp/photo.png"

# A bare codestream (FF 0A), no container, no metadata.
cjxl "$tmp/photo.png" "$out/plain.jxl" -d 1 --quiet
# The same picture in the box container (JXL , ftyp, jxlc).
cjxl "$tmp/photo.png" "$out/container.jxl" -d 1 --container=1 --quiet
# A JPEG transcoded losslessly: jxlp codestream parts, the JPEG
# reconstruction data (jbrd), and its EXIF and XMP Brotli-compressed in
# brob boxes. djxl rebuilds the original JPEG, XMP included.
cjxl "$here/../jpeg/xmp-rich.jpg" "$out/from-jpeg.jxl" --lossless_jpeg=1 --quiet
# XMP and EXIF written by ExifTool into the container.
cp "$out/container.jxl" "$out/exiftool-xmp.jxl"
"$et" -config '' -q -overwrite_original -n \
  -XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING -XMP-dc:Creator="Ada Example" \
  -XMP-dc:Title="Harbour at dusk" -EXIF:Artist="Ada Example" \
  "$out/exiftool-xmp.jxl"
# A lossless JPEG transcode whose XMP has no padding: its jbrd fixes the
# packet's length, and a signal does not fit in it.
"$et" -config '' -q -api Compact=NoPadding -o "$tmp/tight.jpg" \
  -XMP-dc:Creator="Ada Example" "$here/../jpeg/plain.jpg"
cjxl "$tmp/tight.jpg" "$out/from-jpeg-unpadded.jxl" --lossless_jpeg=1 --quiet
