"""Synthetic large files for the memory benchmark, written in bounded memory
with the Python standard library only.

* ``huge_png``: a valid 8-bit RGB PNG of any size. Its rows are stored with
  zlib level 0 (stored deflate blocks), so the file is as large as the
  pixels and costs no compression time; IDAT chunks are 8 KiB (libpng's
  default), so a 1 GiB file has ~131,000 chunks. It carries an eXIf chunk
  (EXIF Artist) and an XMP iTXt chunk (dc:creator) before the first IDAT.
* ``huge_jpeg``: a valid baseline greyscale JPEG of any size, built from one
  Huffman-coded 8x8 block repeated with a restart interval of one MCU, so
  every MCU decodes the same (the DC predictor resets at every RSTn). Our
  own DHT tables (every code 4 bits long) keep the encoder trivial. It
  carries an APP1 Exif (Artist) and an APP1 XMP packet (dc:creator).

Both decode with ImageMagick (checked on small instances by
``python3 benches/synth.py selftest``).
"""

import random
import struct
import sys
import zlib

XMP_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>"
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">synthetic large file</rdf:li></rdf:Alt></dc:title>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
).encode("utf-8")


def tiff_with_artist(artist=b"Ada Example"):
    """A minimal big-endian TIFF/EXIF stream with one IFD0 entry: Artist."""
    value = artist + b"\0"
    ifd_at = 8
    value_at = ifd_at + 2 + 12 + 4
    ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x013B, 2, len(value), value_at)
    ifd += struct.pack(">I", 0)
    return b"MM\x00\x2a" + struct.pack(">I", ifd_at) + ifd + value


# ---------------------------------------------------------------- PNG

def png_chunk(ty, data):
    return (
        struct.pack(">I", len(data))
        + ty
        + data
        + struct.pack(">I", zlib.crc32(ty + data) & 0xFFFFFFFF)
    )


def xmp_itxt(packet=XMP_PACKET):
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + packet)


def write_idat_stream(out, compressed_pieces, chunk=8192):
    """Writes an iterable of zlib output pieces as IDAT chunks of `chunk` bytes."""
    pending = bytearray()
    for piece in compressed_pieces:
        pending += piece
        while len(pending) >= chunk:
            out.write(png_chunk(b"IDAT", bytes(pending[:chunk])))
            del pending[:chunk]
    if pending:
        out.write(png_chunk(b"IDAT", bytes(pending)))


def huge_png(path, target_bytes, width=8192, seed=1):
    """RGB PNG of about `target_bytes`, rows from a seeded pattern, level-0 zlib."""
    row_len = 1 + width * 3
    height = max(1, target_bytes // row_len)
    rng = random.Random(seed)
    base = bytes(rng.getrandbits(8) for _ in range(width * 3 + 251))
    rows = [b"\x00" + base[k : k + width * 3] for k in range(0, 251, 7)]

    def pieces():
        c = zlib.compressobj(0)
        batch = []
        for y in range(height):
            batch.append(rows[y % len(rows)])
            if len(batch) == 64:
                yield c.compress(b"".join(batch))
                batch = []
        if batch:
            yield c.compress(b"".join(batch))
        yield c.flush()

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(png_chunk(b"eXIf", tiff_with_artist()))
        out.write(xmp_itxt())
        write_idat_stream(out, pieces())
        out.write(png_chunk(b"IEND", b""))
    return width, height


def png_from_rgb(rgb, width, height, out_path, extra_chunks=(), level=6, chunk=8192):
    """Encodes raw 8-bit RGB bytes as a PNG (filter 0) with IDATs of `chunk` bytes."""
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))
    data = zlib.compress(raw, level)
    with open(out_path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        for c in extra_chunks:
            out.write(c)
        write_idat_stream(out, [data], chunk)
        out.write(png_chunk(b"IEND", b""))


def png_insert_after_ihdr(src_bytes, chunk_bytes):
    """Returns a PNG with `chunk_bytes` inserted right after IHDR."""
    ihdr_end = 8 + 12 + struct.unpack(">I", src_bytes[8:12])[0]
    return src_bytes[:ihdr_end] + chunk_bytes + src_bytes[ihdr_end:]


# ---------------------------------------------------------------- JPEG

def _segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


class _Bits:
    def __init__(self):
        self.acc = 0
        self.n = 0
        self.out = bytearray()

    def put(self, value, nbits):
        for i in range(nbits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0x00)  # byte stuffing
                self.acc = 0
                self.n = 0

    def pad(self):
        while self.n:
            self.put(1, 1)  # pad with 1-bits
        return bytes(self.out)


def _magnitude_bits(v):
    """JPEG size category and the appended bits of a coefficient value."""
    s = abs(v).bit_length()
    bits = v if v >= 0 else v + (1 << s) - 1
    return s, bits


def _one_block(seed=7):
    """One Huffman-coded 8x8 block (DC + 63 AC values), byte-aligned.

    Tables: DC symbols 0..11 and AC symbols 0x00 (EOB) and 0x01..0x0A (run 0,
    size 1..10), all with 4-bit codes, assigned canonically (0000, 0001, ...).
    """
    rng = random.Random(seed)
    bits = _Bits()
    s, b = _magnitude_bits(37)  # DC value (the predictor resets at each RST)
    bits.put(s, 4)  # DC symbol s has code s
    bits.put(b, s)
    for _ in range(63):
        size = rng.randint(1, 6)
        v = rng.randint(1 << (size - 1), (1 << size) - 1) * rng.choice((1, -1))
        s, b = _magnitude_bits(v)
        bits.put(s, 4)  # AC symbol 0x0s has code s (EOB 0x00 has 0000)
        bits.put(b, s)
    return bits.pad()  # all 63 coefficients coded: no EOB needed


def _jpeg_header(width, height):
    soi = b"\xFF\xD8"
    app0 = _segment(0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    exif = _segment(0xE1, b"Exif\0\0" + tiff_with_artist())
    xmp = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP_PACKET)
    dqt = _segment(0xDB, b"\x00" + bytes([1] * 64))
    sof = _segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")
    dc_counts = bytes([0, 0, 0, 12] + [0] * 12)
    ac_counts = bytes([0, 0, 0, 11] + [0] * 12)
    dht = _segment(
        0xC4,
        b"\x00" + dc_counts + bytes(range(12)) + b"\x10" + ac_counts + bytes(range(11)),
    )
    dri = _segment(0xDD, struct.pack(">H", 1))
    sos = _segment(0xDA, b"\x01\x01\x00\x00\x3F\x00")
    return soi + app0 + exif + xmp + dqt + sof + dht + dri + sos


def huge_jpeg(path, target_bytes, seed=7):
    """Valid greyscale baseline JPEG of about `target_bytes`."""
    block = _one_block(seed)
    per_mcu = len(block) + 2
    mcus_wanted = max(1, target_bytes // per_mcu)
    bw = 1
    while bw * bw < mcus_wanted:
        bw += 1
    bw = min(bw, 8191)
    bh = max(1, mcus_wanted // bw)
    total = bw * bh
    cycle = b"".join(block + bytes([0xFF, 0xD0 + k]) for k in range(8))
    with open(path, "wb") as out:
        out.write(_jpeg_header(bw * 8, bh * 8))
        full_cycles, rest = divmod(total, 8)
        big = cycle * 1024
        left = full_cycles
        while left >= 1024:
            out.write(big)
            left -= 1024
        out.write(cycle * left)
        # `rest` more MCUs; no RST after the very last MCU
        for k in range(rest):
            out.write(block + bytes([0xFF, 0xD0 + k]))
        # drop the trailing RST after the last MCU
        out.seek(-2, 1)
        out.truncate()
        out.write(b"\xFF\xD9")
    return bw * 8, bh * 8


def selftest(tmpdir):
    """Small instances of both generators must decode without warnings."""
    import os
    import subprocess

    p = os.path.join(tmpdir, "synth-small.png")
    j = os.path.join(tmpdir, "synth-small.jpg")
    huge_png(p, 300_000, width=256)
    huge_jpeg(j, 200_000)
    for f in (p, j):
        r = subprocess.run(
            ["convert", "-regard-warnings", f, "-format", "%m %wx%h", "info:"],
            capture_output=True,
            text=True,
        )
        print(f, r.returncode, r.stdout.strip(), r.stderr.strip())
        if r.returncode != 0 or r.stderr.strip():
            sys.exit(f"synth selftest failed on {f}")
    print("synth selftest ok")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "selftest":
        selftest(sys.argv[2] if len(sys.argv) > 2 else "/tmp")
    elif len(sys.argv) == 4 and sys.argv[1] in ("png", "jpeg"):
        f = huge_png if sys.argv[1] == "png" else huge_jpeg
        print(f(sys.argv[2], int(sys.argv[3])))
    else:
        sys.exit("usage: synth.py selftest [DIR] | synth.py png|jpeg PATH BYTES")
