#!/usr/bin/env bash
# Regenerates every sample image in this directory from nothing but:
#   ImageMagick 6 (convert), cwebp / img2webp / webpmux (Debian "webp"),
#   ExifTool ($EXIFTOOL, default: exiftool on PATH) and python3 (stdlib only).
#
# Deterministic: no timestamps, fixed plasma seeds, one thread, no ExifTool
# config file. Run it twice and the sha256sums are identical (with the same
# tool versions; see README.md).
#
# Usage: bash sample-images/generate.sh            (untagged + foreign-tagged)
#        CCSIG=target/release/ccsig bash sample-images/generate.sh
#                                                  (also the ccsig-written ones)
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXIFTOOL="${EXIFTOOL:-exiftool}"

for tool in convert cwebp img2webp webpmux python3 "$EXIFTOOL"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "generate.sh: missing tool: $tool" >&2; exit 1; }
done

# Determinism: single-threaded ImageMagick (plasma uses the seeded PRNG),
# fixed locale and time zone, no user ExifTool config.
export MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 LC_ALL=C TZ=UTC
et() { "$EXIFTOOL" -config '' -q -overwrite_original "$@"; }
# ImageMagick PNG output without tIME and without date:create/date:modify tEXt.
IM_NODATE=(+set date:create +set date:modify -define png:exclude-chunks=date,time)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$OUT"/{jpeg,png,webp,tagged,bad,misc}
cd "$OUT"

# Small python helpers for PNG chunk surgery and an ICC profile (stdlib only).
py() {
    python3 - "$@" <<'PY'
import struct, sys, zlib

def chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, out = 8, []
    while i < len(data):
        n, t = struct.unpack(">I4s", data[i:i + 8])
        out.append((t, data[i:i + 12 + n]))  # raw chunk incl. length + CRC
        i += 12 + n
    return out

def mk(t, payload):
    return struct.pack(">I", len(payload)) + t + payload + struct.pack(">I", zlib.crc32(t + payload))

cmd = sys.argv[1]
if cmd == "move-xmp-after-idat":
    # Move the iTXt XML:com.adobe.xmp chunk, unchanged, to just after the last IDAT.
    src, dst = sys.argv[2:4]
    cs = chunks(open(src, "rb").read())
    xmp = [c for c in cs if c[0] == b"iTXt" and c[1][8:26] == b"XML:com.adobe.xmp\0"]
    assert len(xmp) == 1, "expected exactly one XMP iTXt chunk"
    cs.remove(xmp[0])
    last = max(i for i, c in enumerate(cs) if c[0] == b"IDAT")
    cs.insert(last + 1, xmp[0])
    open(dst, "wb").write(b"\x89PNG\r\n\x1a\n" + b"".join(c[1] for c in cs))
elif cmd == "split-idat":
    # Re-chunk the (concatenated) IDAT stream into IDATs of at most N bytes.
    src, dst, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
    cs = chunks(open(src, "rb").read())
    stream = b"".join(c[1][8:-4] for c in cs if c[0] == b"IDAT")
    first = next(i for i, c in enumerate(cs) if c[0] == b"IDAT")
    rest = [c for c in cs if c[0] != b"IDAT"]
    idats = [(b"IDAT", mk(b"IDAT", stream[o:o + size])) for o in range(0, len(stream), size)]
    cs = rest[:first] + idats + rest[first:]
    open(dst, "wb").write(b"\x89PNG\r\n\x1a\n" + b"".join(c[1] for c in cs))
elif cmd == "chunks":
    for t, raw in chunks(open(sys.argv[2], "rb").read()):
        print(t.decode("latin-1"), len(raw) - 12)
elif cmd == "icc":
    # A minimal, valid ICC v2.1 RGB display profile: sRGB primaries (D50
    # adapted), gamma 2.2, fixed date. Small and reproducible.
    def s15(x):
        return struct.pack(">i", int(round(x * 65536)))
    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)
    def desc(s):
        a = s.encode("ascii") + b"\0"
        return b"desc\0\0\0\0" + struct.pack(">I", len(a)) + a + b"\0" * 4 + b"\0" * 4 + b"\0" * 2 + b"\0" + b"\0" * 67
    curv = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2 (u8Fixed8)
    tags = [
        (b"desc", desc("ccsig sample RGB (sRGB primaries, gamma 2.2)")),
        (b"cprt", b"text\0\0\0\0" + b"No copyright, use freely\0"),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv),
    ]
    off = 128 + 4 + 12 * len(tags)
    table, body, seen = b"", b"", {}
    for sig, data in tags:
        if data in seen:  # the three TRCs share one curve
            o = seen[data]
        else:
            while (off + len(body)) % 4:
                body += b"\0"
            o = off + len(body)
            seen[data] = o
            body += data
        table += sig + struct.pack(">II", o, len(data))
    while len(body) % 4:
        body += b"\0"
    total = off + len(body)
    header = (struct.pack(">I", total) + b"\0\0\0\0" + struct.pack(">I", 0x02100000)
              + b"mntrRGB XYZ " + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp"
              + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4 + b"\0" * 44)
    assert len(header) == 128
    open(sys.argv[2], "wb").write(header + struct.pack(">I", len(tags)) + table + body)
elif cmd == "garbage":
    # 1 KiB of deterministic text that is no image format.
    line = b"ccsig sample: this file is deliberately not an image. 0123456789\n"
    open(sys.argv[2], "wb").write((line * 32)[:1024])
else:
    sys.exit("unknown helper command " + cmd)
PY
}

echo "== base pictures"
# Photo-like content: seeded plasma fractals.
convert -seed 1701 -size 160x120 plasma:steelblue-orange -blur 0x0.6 "${IM_NODATE[@]}" -strip PNG24:"$WORK/photo.png"
convert -seed 1702 -size 96x96 plasma:seagreen-gold "${IM_NODATE[@]}" -strip \
    \( -size 96x96 radial-gradient:white-black -level 0%,70% \) \
    -alpha off -compose CopyOpacity -composite "${IM_NODATE[@]}" PNG32:"$WORK/alpha.png"
py icc "$WORK/sample-rgb.icc"

echo "== jpeg/"
JPEG_OPTS=(-strip -units PixelsPerInch -density 72 -quality 85 -sampling-factor 2x2,1x1,1x1)
convert "$WORK/photo.png" "${JPEG_OPTS[@]}" jpeg/plain.jpg

cp jpeg/plain.jpg jpeg/exif.jpg
et -EXIF:Artist="Ada Example" -EXIF:Copyright="(c) 2024 Ada Example" \
   -EXIF:Make="ExampleCam" -EXIF:Model="EC-1" -EXIF:DateTimeOriginal="2024:05:01 12:00:00" \
   -EXIF:Orientation#=1 -EXIF:ColorSpace=sRGB "-ICC_Profile<=$WORK/sample-rgb.icc" jpeg/exif.jpg

cp jpeg/exif.jpg jpeg/xmp-rich.jpg
et -XMP-dc:Title="Harbour at dusk" -XMP-dc:Creator="Ada Example" \
   -XMP-dc:Subject=harbour -XMP-dc:Subject=dusk \
   -XMP-dc:Description="A plasma fractal standing in for a photograph." \
   -XMP-xmp:Rating=4 \
   -XMP-xmpRights:UsageTerms="Editorial use only." \
   -XMP-xmpRights:UsageTerms-de="Nur redaktionelle Nutzung." \
   jpeg/xmp-rich.jpg

cp jpeg/plain.jpg jpeg/iim.jpg
et -IPTC:By-line="Ada Example" -IPTC:CopyrightNotice="(c) 2024 Ada Example" \
   -IPTC:Caption-Abstract="Harbour at dusk, IIM only." \
   -IPTC:Keywords=harbour -IPTC:Keywords=dusk \
   -Photoshop:IPTCDigest=new jpeg/iim.jpg

convert "$WORK/photo.png" "${JPEG_OPTS[@]}" -interlace JPEG jpeg/progressive.jpg
et -EXIF:Artist="Ada Example" -EXIF:Make="ExampleCam" -EXIF:Model="EC-1" jpeg/progressive.jpg

echo "== png/"
cp "$WORK/photo.png" png/plain.png
cp "$WORK/alpha.png" png/alpha.png

cp png/plain.png png/text-before-idat.png
et -PNG:Title="Harbour at dusk" -PNG:Author="Ada Example" png/text-before-idat.png

cp png/plain.png "$WORK/xmp-before.png"
et -XMP-dc:Title="Harbour at dusk" -XMP-dc:Creator="Ada Example" "$WORK/xmp-before.png"
py move-xmp-after-idat "$WORK/xmp-before.png" png/xmp-after-idat.png

py split-idat png/plain.png png/multi-idat.png 8192

echo "== png/iim-raw-profile.png (ImageMagick's raw IPTC profile)"
cp jpeg/iim.jpg "$WORK/iim-signal.jpg"
et "-IPTC:SpecialInstructions=Content-Usage: train-ai=n;exceptions=cc-cr" "$WORK/iim-signal.jpg"
convert "$WORK/iim-signal.jpg" +set date:create +set date:modify \
    -define png:exclude-chunks=date,time png/iim-raw-profile.png

echo "== webp/"
cwebp -quiet -q 80 -metadata none png/plain.png -o webp/lossy.webp
cwebp -quiet -lossless -metadata none png/plain.png -o webp/lossless.webp
cwebp -quiet -q 80 -metadata none png/alpha.png -o webp/alpha.webp
for i in 1 2 3; do
    convert -seed "$((1800 + i))" -size 64x48 plasma:navy-coral "${IM_NODATE[@]}" -strip PNG24:"$WORK/frame$i.png"
done
img2webp -loop 0 -lossy -q 70 -d 300 "$WORK/frame1.png" "$WORK/frame2.png" "$WORK/frame3.png" -o webp/animated.webp >/dev/null 2>&1
# Raw EXIF (TIFF header first, as RIFF EXIF chunks hold it) taken from jpeg/exif.jpg.
"$EXIFTOOL" -config '' -b -EXIF jpeg/exif.jpg >"$WORK/exif.bin"
webpmux -set exif "$WORK/exif.bin" webp/lossy.webp -o webp/exif.webp >/dev/null 2>&1

echo "== tagged/ (written by ExifTool, a foreign writer)"
# With -n ExifTool takes the bare DMI code and stores the full vocabulary URI
# http://ns.useplus.org/ldf/vocab/DMI-...; never pass the full URI with -n
# (it would be prefixed twice).
cp jpeg/plain.jpg tagged/datamining-only.jpg
et -n -XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING tagged/datamining-only.jpg

cp jpeg/exif.jpg tagged/datamining-constraint.jpg
et -n -XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT \
   -XMP-plus:OtherConstraints="AI training only with credit. Content-Usage: train-ai=n;exceptions=cc-cr" \
   tagged/datamining-constraint.jpg

cp png/alpha.png tagged/legacy-label.png
et -n -XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT \
   -XMP-plus:OtherConstraints="Content-Usage: ai-use=n, train-genai=n;exceptions=cc-cr" \
   tagged/legacy-label.png

cp jpeg/progressive.jpg tagged/conflict.jpg
et -n -XMP-plus:DataMining=DMI-ALLOWED \
   -XMP-plus:OtherConstraints="Content-Usage: train-ai=n;exceptions=cc-cr-ec" \
   tagged/conflict.jpg

cp webp/exif.webp tagged/malformed.webp
et -n -XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT \
   -XMP-plus:OtherConstraints="Content-Usage: Train-AI=n" \
   tagged/malformed.webp

echo "== bad/ and misc/"
size() { wc -c <"$1" | tr -d ' '; }
head -c "$(( $(size jpeg/exif.jpg) * 60 / 100 ))" jpeg/exif.jpg >bad/truncated.jpg
head -c "$(( $(size png/plain.png) / 2 ))" png/plain.png >bad/truncated.png
: >bad/zero.webp
py garbage bad/garbage.png
convert -size 16x16 gradient:red-blue -colors 8 -strip bad/unsupported.gif
cp jpeg/plain.jpg misc/jpeg-named.png

# --- samples written by ccsig itself ---
# Only when CCSIG points at an executable ccsig; otherwise existing
# tagged/ccsig-* files are left exactly as they are.
if [[ -n "${CCSIG:-}" && -x "${CCSIG}" ]]; then
    echo "== tagged/ccsig-* (written by $CCSIG)"
    cp jpeg/xmp-rich.jpg tagged/ccsig-cr-op.jpg
    "${CCSIG:-ccsig}" apply --signal cc-cr-op --use train-ai \
        --credit-name "Ada Example" --credit-url https://example.org/ada tagged/ccsig-cr-op.jpg
    cp png/alpha.png tagged/ccsig-cr.png
    "${CCSIG:-ccsig}" apply --signal cc-cr tagged/ccsig-cr.png
    cp webp/lossless.webp tagged/ccsig-ec.webp
    "${CCSIG:-ccsig}" apply --signal cc-cr-ec tagged/ccsig-ec.webp
else
    echo "note: CCSIG not set to an executable; tagged/ccsig-cr-op.jpg, tagged/ccsig-cr.png"
    echo "      and tagged/ccsig-ec.webp were not (re)generated. Run with"
    echo "      CCSIG=target/release/ccsig bash sample-images/generate.sh"
fi

echo "done: samples in $OUT"
