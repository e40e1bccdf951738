#!/usr/bin/env python3
"""Decide, at cluster scale, which images a training pipeline may use.

    spark-submit examples/spark_decide.py INPUT OUTPUT --use train-ai --we-give credit,open
    python examples/spark_decide.py INPUT OUTPUT --master 'local[2]' ...

INPUT is any path Spark can read (a folder, a glob, hdfs://, s3a://...)
holding images, WebDataset tar shards (.tar, .tar.gz, .tgz), or both; folders
are listed recursively. Spark lists and reads the files itself
(`binaryFiles`), so executors read straight from the file system and the
driver never touches file contents. Each executor runs `ccsig.decide_listed`
on every file it is given: an image gives one decision, a shard one decision
per image member (read from the shard's bytes in the executor), anything
else (captions, JSON, GIFs) nothing, exactly as `ccsig decide` would on a
local copy of the tree.

OUTPUT receives one JSON Lines file per partition (`part-00000`...), one
record per image: path, decision, usable, met_signals, credit_name,
credit_url, reason. Paths are as Spark names them (`file:/data/a.jpg`,
`hdfs://nn/shards/00001.tar:000042.jpg`).

Executors need the `ccsig` wheel installed; see docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Iterable, Iterator

FIELDS = (
    "path",
    "decision",
    "usable",
    "met_signals",
    "credit_name",
    "credit_url",
    "reason",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="folder, glob or URI of images and/or tar shards")
    p.add_argument("output", help="folder (URI) for the JSON Lines output; must not exist")
    p.add_argument("--use", default="train-ai", help="usage category (default: train-ai)")
    p.add_argument(
        "--we-give",
        default="",
        help="comma-separated elements the pipeline gives: credit, direct-contribution, "
        "ecosystem-contribution, open",
    )
    p.add_argument(
        "--unknown",
        choices=("deny", "allow"),
        default="deny",
        help="whether files that state nothing are usable (default: deny)",
    )
    p.add_argument(
        "--partitions",
        type=int,
        default=0,
        help="minimum number of input partitions (default: Spark's parallelism x 4)",
    )
    p.add_argument("--master", help="Spark master for a local run, e.g. 'local[2]'")
    return p.parse_args(argv)


def decide_partition(
    files: Iterable[tuple[str, bytes]], use: str, we_give: str, unknown: str
) -> Iterator[str]:
    """Runs in the executors: one JSON line per image."""
    import ccsig  # imported on the executor, where the wheel is installed

    for path, data in files:
        for d in ccsig.decide_listed(path, data, use=use, we_give=we_give, unknown=unknown):
            record = d.to_dict()
            yield json.dumps({k: record[k] for k in FIELDS}, ensure_ascii=False)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("ccsig-decide")
    if args.master:
        builder = builder.master(args.master)
    # Spark packs small files into partitions of about (total bytes + an
    # assumed 4 MB "open cost" per file) / parallelism, but fills them by
    # real bytes: with the default, a few thousand images land in one
    # partition and one core. A small open cost spreads them over every
    # core; at scale the 128 MB partition cap rules either way. A value
    # given with --conf wins.
    if not SparkConf().contains("spark.files.openCostInBytes"):
        builder = builder.config("spark.files.openCostInBytes", "4096")
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    # Folders are listed recursively, by Spark's own (Hadoop) file system
    # code, so any URI scheme the cluster knows works unchanged.
    sc._jsc.hadoopConfiguration().set(
        "mapreduce.input.fileinputformat.input.dir.recursive", "true"
    )
    # Validate the arguments once, on the driver, before any task runs.
    import ccsig

    ccsig.decide(b"", use=args.use, we_give=args.we_give, unknown=args.unknown, on_error="unknown")

    partitions = args.partitions or sc.defaultParallelism * 4
    use, we_give, unknown = args.use, args.we_give, args.unknown
    (
        sc.binaryFiles(args.input, minPartitions=partitions)
        .mapPartitions(lambda files: decide_partition(files, use, we_give, unknown))
        .saveAsTextFile(args.output)
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
