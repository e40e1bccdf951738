#!/usr/bin/env python3
"""Decisions per second per core: the library alone (through the Python
binding, one thread) and one Spark executor core (`local[1]`) running
examples/spark_decide.py's per-partition function, on a generated set of
tagged and untagged images, loose and in tar shards.

    pip install ./python pyspark pillow      # pillow only makes the photos
    python benches/python_decide.py --images 4000

With Pillow, the images are photo-sized (768x512 noise, JPEG q85 ~ 150 KB,
also progressive JPEG, PNG, WebP); without it, the small sample images.
See docs/scale.md for results.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python" / "tests"))

import ccsig  # noqa: E402
import dataset  # noqa: E402


def photos() -> list[tuple[str, bytes]] | None:
    """Photo-sized images in the four layouts, or None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    out = []
    for seed, (ext, fmt, kwargs) in enumerate(
        [
            ("jpg", "JPEG", {"quality": 85}),
            ("jpg", "JPEG", {"quality": 85, "progressive": True}),
            ("png", "PNG", {}),
            ("webp", "WEBP", {"quality": 80}),
        ]
    ):
        size = (768, 512) if ext != "png" else (512, 384)
        noise = Image.effect_noise(size, 40 + seed * 5).convert("RGB")
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        image = Image.blend(noise, gradient, 0.5)
        buf = io.BytesIO()
        image.save(buf, fmt, **kwargs)
        out.append((ext, buf.getvalue()))
    return out


def rate(work, repeats: int = 3) -> float:
    """Items per second: the best of `repeats` runs of `work()` -> items."""
    best = float("inf")
    items = 0
    for _ in range(repeats):
        started = time.perf_counter()
        items = work()
        best = min(best, time.perf_counter() - started)
    return items / best


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=4000)
    p.add_argument("--shards", type=int, default=4)
    p.add_argument(
        "--spark",
        default="shards,loose",
        help="Spark inputs to time: shards, loose, both (default) or none; "
        "loose files on a local disk without Hadoop's native library cost a "
        "forked `ls` per file (see docs/scale.md)",
    )
    a = p.parse_args()
    bases = photos()
    work = Path(tempfile.mkdtemp(prefix="ccsig-bench-"))
    loose = dataset.write_files(work / "loose", a.images, bases)
    shards = dataset.write_shards(work / "shards", a.images, a.shards, damaged=False, bases=bases)
    mean_kb = statistics.mean(p.stat().st_size for p in loose) / 1024
    print(f"{a.images} images, mean {mean_kb:.0f} KB ({'photos' if bases else 'samples'}), in {work}")

    blobs = [p.read_bytes() for p in loose]
    shard_bytes = [(str(s), s.read_bytes()) for s in shards]
    results = {
        "library: decide(bytes), 1 thread": rate(
            lambda: sum(1 for b in blobs if ccsig.decide(b, we_give="credit"))
        ),
        "library: shard bytes -> decide_listed, 1 thread": rate(
            lambda: sum(len(ccsig.decide_listed(n, b, we_give="credit")) for n, b in shard_bytes)
        ),
        "library: decide_tree(loose files), jobs=1": rate(
            lambda: sum(1 for _ in ccsig.decide_tree(work / "loose", jobs=1))
        ),
        "library: decide_tree(shards), jobs=1": rate(
            lambda: sum(1 for _ in ccsig.decide_tree(work / "shards", jobs=1))
        ),
    }
    for name, value in results.items():
        print(f"{name:55s} {value:10.0f} decisions/s", flush=True)
    inputs = [i for i in a.spark.split(",") if i in ("shards", "loose")]
    if inputs:
        for name, value in spark_rates(work, a.images, inputs).items():
            print(f"{name:55s} {value:10.0f} decisions/s", flush=True)
    return 0


def spark_rates(work: Path, images: int, inputs: list[str]) -> dict[str, float]:
    """One executor core: Spark local[1], session already up, warm worker."""
    spec = importlib.util.spec_from_file_location("spark_decide", REPO / "examples" / "spark_decide.py")
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("ccsig-bench")
        .config("spark.files.openCostInBytes", "4096")
        .getOrCreate()
    )
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    sc._jsc.hadoopConfiguration().set("mapreduce.input.fileinputformat.input.dir.recursive", "true")
    decide_partition = job.decide_partition  # pickled by value to the worker
    options = dict(use="train-ai", we_give="credit", unknown="deny")
    # Start the Python worker and import ccsig before timing.
    assert sc.parallelize([0], 1).map(lambda _: __import__("ccsig").__version__).count() == 1
    out = {}
    for label in inputs:
        folder = work / label
        def run() -> int:
            return (
                sc.binaryFiles(str(folder), minPartitions=4)
                .mapPartitions(lambda files: decide_partition(files, options))
                .count()
            )

        started = time.perf_counter()
        assert run() == images  # every image decided once, captions left out
        out[f"spark local[1]: binaryFiles({label}) -> decisions"] = images / (time.perf_counter() - started)
    spark.stop()
    return out


if __name__ == "__main__":
    sys.exit(main())
