#!/usr/bin/env python3
"""Builds the seed corpus of every fuzz target from sample-images/ and the
hostile corpus (tests/hostile/): `python3 fuzz/seeds.py OUT_DIR`.

Seeds are made, not committed: each target gets the inputs it parses (whole
files for the walkers and the read/apply paths, bare XMP packets, bare IIM
blocks, expressions, tar shards), small ones first, since AFL++ mutates
small inputs best.
"""
import io
import pathlib
import struct
import sys
import tarfile
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample-images"
HOSTILE = ROOT / "tests" / "hostile"
MAX_SEED = 32 * 1024


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def tiny_png(extra: bytes = b"") -> bytes:
    """A 1x1 grey PNG, with `extra` chunks before its IDAT."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x80")
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def tiny_tiff(xmp: bytes = b"", little: bool = True) -> bytes:
    """A 2x2 grey TIFF in one strip, with `xmp` in IFD0's tag 700."""
    e = "<" if little else ">"
    entries = [(256, 3, 1, 2), (257, 3, 1, 2), (258, 3, 1, 8), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (279, 4, 1, 4)]
    if xmp:
        entries.append((700, 1, len(xmp), 0))
    dir_len = 2 + 12 * len(entries) + 4
    strip_at = 8 + dir_len
    out = (b"II*\0" if little else b"MM\0*") + struct.pack(e + "I", 8)
    out += struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = strip_at
        if tag == 700:
            value = strip_at + 4
        if kind == 3:
            out += struct.pack(e + "HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(e + "HHII", tag, kind, count, value)
    return out + b"\0\0\0\0" + b"\x10\x20\x30\x40" + xmp


def xmp_packets(data: bytes):
    start = 0
    while True:
        begin = data.find(b"<x:xmpmeta", start)
        if begin < 0:
            begin = data.find(b"<rdf:RDF", start)
            end_tag = b"</rdf:RDF>"
        else:
            end_tag = b"</x:xmpmeta>"
        if begin < 0:
            return
        end = data.find(end_tag, begin)
        if end < 0:
            return
        yield data[begin:end + len(end_tag)]
        start = end


def iim_blocks(data: bytes):
    """IIM blocks inside Photoshop IRBs (resource 0x0404)."""
    at = 0
    while True:
        at = data.find(b"8BIM\x04\x04", at)
        if at < 0:
            return
        name_len = data[at + 6]
        pos = at + 6 + 1 + name_len
        if (1 + name_len) % 2:  # the Pascal name is padded to even
            pos += 1
        size = struct.unpack(">I", data[pos:pos + 4])[0]
        yield data[pos + 4:pos + 4 + size]
        at = pos


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    images = sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".jpg", ".png", ".webp", ".tif", ".heic", ".avif", ".jxl"))
    if HOSTILE.is_dir():
        images += sorted(p for p in HOSTILE.iterdir() if p.is_file())
    seeds: dict[str, dict[str, bytes]] = {t: {} for t in (
        "jpeg_scan", "png_scan", "webp_scan", "tiff_scan", "jxl_scan", "heif_scan", "read", "apply", "xmp", "iim",
        "expression", "shard", "partial_read", "c2pa_read")}
    packets = []
    for path in images:
        data = path.read_bytes()
        if not data or len(data) > MAX_SEED:
            continue
        name = f"{path.parent.name}-{path.name}"
        head = data[:12]
        if head.startswith(b"\xff\xd8"):
            seeds["jpeg_scan"][name] = data
        elif head.startswith(b"\x89PNG"):
            seeds["png_scan"][name] = data
        elif head[:4] == b"RIFF":
            seeds["webp_scan"][name] = data
        elif head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
            seeds["tiff_scan"][name] = data
        elif head[:2] == b"\xff\x0a" or head[4:8] == b"JXL ":
            seeds["jxl_scan"][name] = data
        elif head[4:8] == b"ftyp":
            seeds["heif_scan"][name] = data
        seeds["read"][name] = data
        seeds["apply"][name] = data
        if path.parent.name == "c2pa":
            seeds["c2pa_read"][name] = data
        for i, packet in enumerate(xmp_packets(data)):
            packets.append(packet)
            seeds["xmp"][f"{name}-{i}"] = packet
        for i, block in enumerate(iim_blocks(data)):
            seeds["iim"][f"{name}-{i}"] = block
    # Small made files: a 1x1 PNG bare, with XMP, with a raw IIM profile.
    seeds["png_scan"]["tiny.png"] = tiny_png()
    if packets:
        itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + min(packets, key=len)
        tagged = tiny_png(png_chunk(b"iTXt", itxt))
        for target in ("png_scan", "read", "apply"):
            seeds[target]["tiny-xmp.png"] = tagged
    seeds["tiff_scan"]["tiny-le.tif"] = tiny_tiff()
    seeds["tiff_scan"]["tiny-be.tif"] = tiny_tiff(little=False)
    if packets:
        tagged = tiny_tiff(min(packets, key=len))
        for target in ("tiff_scan", "read", "apply"):
            seeds[target]["tiny-xmp.tif"] = tagged
    seeds["iim"]["special-instructions"] = b"\x1c\x01\x5a\x00\x03\x1b%G\x1c\x02\x28\x00\x08train-ai"
    for i, text in enumerate([
        "train-ai=n;exceptions=cc-cr",
        "train-ai=n;exceptions=cc-cr-op, search=y",
        "train-ai=y",
        "ai-use=n;exceptions=cc-dc-ec",
        "tdm=n, genai=y;foo=\"bar\"",
        "train-genai=n;exceptions=(cc-cr cc-op)",
    ]):
        seeds["expression"][f"expr-{i}"] = text.encode()
    small = sorted(seeds["read"].items(), key=lambda kv: len(kv[1]))[:3]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in small:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    seeds["shard"]["three-members.tar"] = buf.getvalue()
    # Reads from parts of a file: the first byte picks the chunk size and
    # whether the length is known; the rest is a file or a shard.
    for knob, (name, data) in enumerate(small):
        seeds["partial_read"][name] = bytes([knob * 37 % 256]) + data
    seeds["partial_read"]["three-members.tar"] = b"\x02" + buf.getvalue()
    for target, files in seeds.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
