#!/usr/bin/env bash
# HEIF/HEIC and AVIF samples for ccsig: ImageMagick 6.9.11-60 (through
# libheif 1.15.1), libheif's heif-enc 1.15.1 (Debian 12's libheif-examples),
# libavif's avifenc 0.11.1 (libavif-bin) and ExifTool 13.59 for the XMP
# items. As with generate.sh, other tool versions give other bytes: tests
# check structure and metadata, never hashes of regenerated files.
#
#   EXIFTOOL=/path/to/exiftool bash sample-images/heif/make.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
et=${EXIFTOOL:-exiftool}
export MAGICK_THREAD_LIMIT=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

convert -seed 1903 -size 64x48 plasma:steelblue-orange "$out/plain.heic"
convert -seed 1903 -size 64x48 plasma:steelblue-orange "$out/plain.avif"
for ext in heic avif; do
  cp "$out/plain.$ext" "$out/exiftool-xmp.$ext"
  "$et" -config '' -q -overwrite_original -n \
    -XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING -XMP-dc:Creator="Ada Example" \
    "$out/exiftool-xmp.$ext"
done

# libheif's own writer: a grid of tiles (its layout in idat), an alpha
# plane (an auxiliary item, auxl) and a thumbnail (thmb), several images
# in one file.
convert -seed 1905 -size 96x64 plasma:steelblue-orange -alpha set -channel A \
  -evaluate set 60% +channel "PNG32:$tmp/rgba.png"
heif-enc -q 50 -t 24 "$tmp/rgba.png" -o "$out/heif-enc-alpha-thumb.heic" >/dev/null
# libavif's writer, with an XMP item of its own (avifenc --xmp).
convert -seed 1906 -size 96x64 plasma:steelblue-orange "PNG24:$tmp/rgb.png"
cat > "$tmp/avifenc.xmp" <<'XMP'
<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">
   <dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>
   <plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING</plus:DataMining>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
XMP
avifenc -s 10 --xmp "$tmp/avifenc.xmp" "$tmp/rgb.png" "$out/avifenc-xmp.avif" >/dev/null
