"""Makes WebDataset-style test data from the repository's sample images:
images tagged in several ways with `ccsig.apply_bytes` (and some left
untagged), each with a JSON caption member, packed into tar shards with
Python's `tarfile`; or written as loose files.

    python python/tests/dataset.py OUT_DIR --images 4000 --shards 0   # loose files
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from pathlib import Path
from typing import Iterator, Optional

import ccsig

SAMPLES = Path(__file__).resolve().parents[2] / "sample-images"

# (how to tag, kwargs for ccsig.apply_bytes); None leaves the image untagged.
TAGS: list[Optional[dict]] = [
    None,
    {"signal": "cc-cr", "credit_name": "Ada Example", "credit_url": "https://example.org/ada"},
    {"signal": "cc-cr-op", "credit_name": "Bo"},
    {"signal": "cc-cr-dc"},
    {"signal": "cc-cr-ec", "credit_name": "Cy", "credit_url": "https://example.org/cy"},
    {"expression": "train-ai=y"},
    {"expression": "train-ai=n"},
    {"expression": "train-ai=n, search=y"},
    None,
]


def base_images() -> list[tuple[str, bytes]]:
    """The untagged, readable samples: (extension, bytes)."""
    out = []
    for folder in ("jpeg", "png", "webp"):
        for path in sorted((SAMPLES / folder).iterdir()):
            data = path.read_bytes()
            try:
                ccsig.read(data)
            except ccsig.CcsigError:
                continue
            out.append((path.suffix.lstrip("."), data))
    return out


def images(count: int, bases: Optional[list[tuple[str, bytes]]] = None) -> Iterator[tuple[str, str, bytes]]:
    """`count` images: (key, extension, bytes), made from `bases` (default:
    the samples), tags cycling through TAGS."""
    bases = bases or base_images()
    tagged: dict[tuple[int, int], bytes] = {}
    for i in range(count):
        b, t = i % len(bases), (i // len(bases)) % len(TAGS)
        ext, data = bases[b]
        if (b, t) not in tagged:
            tag = TAGS[t]
            tagged[(b, t)] = data if tag is None else ccsig.apply_bytes(data, **tag)
        yield f"{i:06d}", ext, tagged[(b, t)]


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_shards(
    out: Path,
    count: int,
    shards: int,
    damaged: bool = True,
    bases: Optional[list[tuple[str, bytes]]] = None,
) -> list[Path]:
    """`count` images over `shards` tar shards, each image with a JSON
    caption; with `damaged`, each shard also holds one truncated JPEG."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"shard-{n:05d}.tar" for n in range(shards)]
    tars = [tarfile.open(p, "w", format=tarfile.USTAR_FORMAT) for p in paths]
    for i, (key, ext, data) in enumerate(images(count, bases)):
        tar = tars[i * shards // count]
        add_member(tar, f"{key}.{ext}", data)
        add_member(tar, f"{key}.json", json.dumps({"key": key}).encode())
    if damaged:
        broken = (SAMPLES / "bad" / "truncated.jpg").read_bytes()
        for n, tar in enumerate(tars):
            add_member(tar, f"damaged-{n}.jpg", broken)
    for tar in tars:
        tar.close()
    return paths


def write_files(out: Path, count: int, bases: Optional[list[tuple[str, bytes]]] = None) -> list[Path]:
    """`count` images as loose files, each with a JSON caption next to it."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, ext, data in images(count, bases):
        path = out / f"{key}.{ext}"
        path.write_bytes(data)
        (out / f"{key}.json").write_text(json.dumps({"key": key}))
        paths.append(path)
    return paths


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path)
    p.add_argument("--images", type=int, default=4000)
    p.add_argument("--shards", type=int, default=0, help="0: loose files")
    a = p.parse_args()
    if a.shards:
        write_shards(a.out, a.images, a.shards)
    else:
        write_files(a.out, a.images)
