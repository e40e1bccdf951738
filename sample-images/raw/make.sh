#!/usr/bin/env bash
# Camera RAW samples for ccsig: tiny files with the structure of real ones
# (real RAW files are tens of megabytes and licensed), and the XMP sidecars
# that the tools photographers use write next to them. ccsig never writes a
# RAW file: it reads and writes these sidecars (docs/mapping.md, "Camera RAW
# and other images ccsig does not write").
#
#   bash sample-images/raw/make.sh [OUT_DIR]    # default: this folder
#
# Needs only bash and printf. Deterministic: no dates, no random bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"

# A little-endian TIFF whose IFD0 holds one entry (ImageWidth = 1), with
# $2 (8 bytes) between the header and the IFD: Canon writes "CR\2\0" there,
# Nikon and Sony nothing.
tiff_raw() {
  {
    printf 'II*\0\x10\0\0\0'          # byte order, 42, IFD0 at offset 16
    printf "$2"                        # 8 bytes of maker marker
    printf '\x01\0'                    # one entry
    printf '\x00\x01\x03\0\x01\0\0\0\x01\0\0\0'  # ImageWidth SHORT 1 = 1
    printf '\0\0\0\0'                  # no next IFD
  } >"$1"
}

# Canon CR2 (TIFF with "CR" at offset 8), with a Lightroom sidecar
# IMG_0001.xmp and the camera's JPEG beside it (a RAW+JPEG pair).
tiff_raw "$out/IMG_0001.CR2" 'CR\x02\0\0\0\0\0'
cp "$here/../jpeg/plain.jpg" "$out/IMG_0001.JPG" 2>/dev/null \
  || cp "$out/../jpeg/plain.jpg" "$out/IMG_0001.JPG"
cat >"$out/IMG_0001.xmp" <<'XMP'
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        ">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   xmp:Rating="3"
   xmp:Label="Green"
   crs:Version="15.0"
   crs:ProcessVersion="11.0"
   crs:WhiteBalance="As Shot"
   crs:Exposure2012="+0.35"
   crs:Contrast2012="+12"
   crs:HasSettings="True">
   <dc:creator>
    <rdf:Seq>
     <rdf:li>Ada Example</rdf:li>
    </rdf:Seq>
   </dc:creator>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>harbour</rdf:li>
     <rdf:li>dusk</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <crs:ToneCurvePV2012>
    <rdf:Seq>
     <rdf:li>0, 0</rdf:li>
     <rdf:li>255, 255</rdf:li>
    </rdf:Seq>
   </crs:ToneCurvePV2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
XMP

# Nikon NEF (plain TIFF structure), no sidecar yet.
tiff_raw "$out/DSC_0002.NEF" '\0\0\0\0\0\0\0\0'

# Fujifilm RAF (its own header, not TIFF), with a darktable sidecar
# DSCF0003.RAF.xmp that already states a CC signal in plus:DataMining.
{
  printf 'FUJIFILMCCD-RAW 0201FF383501'
  printf '\0%.0s' $(seq 1 36)
} >"$out/DSCF0003.RAF"
cat >"$out/DSCF0003.RAF.xmp" <<'XMP'
<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
   xmp:Rating="1"
   xmpMM:DerivedFrom="DSCF0003.RAF"
   darktable:xmp_version="5"
   darktable:raw_params="0"
   darktable:auto_presets_applied="1"
   darktable:history_end="1"
   plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING">
   <darktable:history>
    <rdf:Seq>
     <rdf:li
      darktable:num="0"
      darktable:operation="exposure"
      darktable:enabled="1"
      darktable:modversion="6"
      darktable:params="0000000000000000"/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
XMP
