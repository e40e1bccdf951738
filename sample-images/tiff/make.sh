#!/usr/bin/env bash
# TIFF samples for ccsig, made with ImageMagick (and ExifTool for the
# metadata). Like generate.sh, the bytes depend on the tool versions
# (ImageMagick 6.9.11-60, ExifTool 13.59): tests check structure and
# metadata, never hashes of regenerated files.
#
#   EXIFTOOL=/path/to/exiftool bash sample-images/tiff/make.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
et=${EXIFTOOL:-exiftool}
export MAGICK_THREAD_LIMIT=1
photo() {  # a small seeded "photo"
  convert -seed "$1" -size 96x64 plasma:steelblue-orange -blur 0x0.6 +set date:create +set date:modify "$2"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
photo 1901 "$tmp/photo.png"

# Little-endian, LZW, one strip per 8 rows, no metadata but the TIFF's own.
convert "$tmp/photo.png" -strip -compress lzw -define tiff:rows-per-strip=8 \
  -endian LSB "$out/plain.tif"
# Big-endian ("MM"), uncompressed.
convert "$tmp/photo.png" -strip -compress none -endian MSB "$out/big-endian.tif"
# Tiled (64x64 tiles).
convert "$tmp/photo.png" -strip -compress zip -define tiff:tile-geometry=32x32 \
  "$out/tiled.tif"
# EXIF (Artist), IPTC-NAA and XMP written by ExifTool: the foreign metadata
# ccsig must keep.
cp "$out/plain.tif" "$out/exiftool-xmp.tif"
"$et" -config '' -q -overwrite_original \
  -EXIF:Artist="Ada Example" -EXIF:Copyright="(c) Ada Example" \
  -IPTC:By-line="Ada Example" -IPTC:Keywords=harbour \
  -XMP-dc:Title="Harbour at dusk" -XMP-dc:Creator="Ada Example" \
  -XMP-dc:Subject=harbour -XMP-dc:Subject=dusk \
  "$out/exiftool-xmp.tif"
# BigTIFF (read, not written).
convert "$tmp/photo.png" -strip -compress none "TIFF64:$out/bigtiff.tif"
"$et" -config '' -q -overwrite_original -n \
  -XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING "$out/bigtiff.tif" 2>/dev/null \
  || echo "ExifTool did not write XMP into the BigTIFF: it stays without" >&2
# A DNG made by a DNG writer: pidng 4.0.9 (PyPI), a 64x48 16-bit Bayer
# mosaic, one tile. pidng writes IFD0's entries out of order and
# DNGVersion twice: a quirky real-world file whose quirks ccsig must keep.
venv=$(mktemp -d)
python3 -m venv "$venv" && "$venv/bin/pip" install --quiet pidng==4.0.9 numpy
"$venv/bin/python" "$here/make_dng.py" "$out/pidng.dng"
rm -rf "$venv"
