#!/usr/bin/env python3
"""Decide, at cluster scale, which images a training pipeline may use.

    spark-submit examples/spark_decide.py INPUT OUTPUT --use train-ai --we-give credit,open
    python examples/spark_decide.py INPUT OUTPUT --master 'local[2]' ...

INPUT is any path Spark can read (a folder, a glob, hdfs://, s3a://...)
holding images, WebDataset tar shards (.tar, .tar.gz, .tgz), or both; folders
are listed recursively. Spark lists and reads the files itself
(`binaryFiles`), so executors read straight from the file system and the
driver never touches file contents. Each executor runs `ccsig.decide_listed`
on every file it is given, exactly as `ccsig decide` would on a local copy
of the tree: every image gets one decision, including one ccsig cannot read
(damaged: state `unreadable`) or does not read (HEIC, TIFF, camera RAW,
GIF...: state `unsupported`); a shard gives one decision per image member
(read from the shard's bytes in the executor); anything else (captions,
JSON) nothing.

OUTPUT receives one JSON Lines file per partition (`part-00000`...), one
record per image with every field of `ccsig.Decision.to_dict()` (the fields
of a `ccsig decide` record, schema ccsig/2, after its `schema`): path,
decision, usable, state, met_signals, unmet_signals, owed, credit_name,
credit_url, credit_missing, credit_looked_at, reason, sources. Paths are as Spark
names them (`file:/data/a.jpg`, `hdfs://nn/shards/00001.tar:000042.jpg`).

The arguments are checked by the ccsig library on the driver before Spark
starts: a typo (`--use train_ai`) exits 2 with the nearest valid value, and
no task runs. The driver and the executors need the `ccsig` wheel
installed; see docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Iterable, Iterator, Optional


PROG = "spark_decide.py"


def parse_args(argv: list[str]) -> argparse.Namespace:
    # The values of --use, --we-give, --unknown, --unreadable and
    # --vocabulary are checked by the library itself (validate_arguments),
    # so that the job accepts exactly what `ccsig decide` accepts.
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="folder, glob or URI of images and/or tar shards")
    p.add_argument("output", help="folder (URI) for the JSON Lines output; must not exist")
    p.add_argument(
        "--use",
        default="train-ai",
        help="usage label of the vocabulary: train-ai or search; draft-08 adds ai-use "
        "(default: train-ai)",
    )
    p.add_argument(
        "--we-give",
        default="",
        help="comma-separated elements the pipeline gives: credit, direct-contribution, "
        "ecosystem-contribution, open",
    )
    p.add_argument(
        "--unknown",
        default="deny",
        metavar="{deny,allow}",
        help="whether images that were read and state nothing are usable (default: deny)",
    )
    p.add_argument(
        "--unreadable",
        default="deny",
        metavar="{deny,allow}",
        help="whether images ccsig cannot read (damaged) or does not read (HEIC, TIFF, "
        "camera RAW, GIF...) are usable; they may say 'no' where ccsig cannot see "
        "(default: deny)",
    )
    p.add_argument(
        "--vocabulary",
        default="draft-07",
        metavar="{draft-07,draft-08}",
        help="the AIPREF vocabulary draft labels are read against (default: draft-07)",
    )
    p.add_argument(
        "--partitions",
        type=int,
        default=0,
        help="minimum number of input partitions (default: Spark's parallelism x 4)",
    )
    p.add_argument("--master", help="Spark master for a local run, e.g. 'local[2]'")
    return p.parse_args(argv)


def validate_arguments(args: argparse.Namespace) -> Optional[str]:
    """Checks the decision arguments with the library, on the driver, before
    Spark starts; returns the error message, or None when they are fine."""
    try:
        import ccsig
    except ImportError as e:
        return f"the ccsig package is not installed in {sys.executable} ({e}); see docs/scale.md"
    try:
        # Empty bytes: no file is read, but every argument is parsed.
        ccsig.decide(
            b"",
            use=args.use,
            we_give=args.we_give,
            unknown=args.unknown,
            unreadable=args.unreadable,
            vocabulary=args.vocabulary,
            on_error="unknown",
        )
    except ccsig.InvalidArgument as e:
        return str(e)
    return None


def spark_master(args: argparse.Namespace) -> Optional[str]:
    """The master the session will run on, when it can be known before
    Spark starts (None when it cannot)."""
    if args.master:
        return args.master
    if "PYSPARK_GATEWAY_PORT" in os.environ:
        # Started by spark-submit: the JVM is up and holds the configuration.
        from pyspark import SparkConf, SparkContext

        SparkContext._ensure_initialized()
        return SparkConf().get("spark.master", None)
    # A plain `python spark_decide.py`: PySpark starts Spark with
    # PYSPARK_SUBMIT_ARGS, local[*] unless they name a master.
    submit = shlex.split(os.environ.get("PYSPARK_SUBMIT_ARGS", ""))
    for i, word in enumerate(submit):
        if word == "--master" and i + 1 < len(submit):
            return submit[i + 1]
        if word.startswith("--master="):
            return word.split("=", 1)[1]
    return "local[*]"


def use_this_python_locally(master: Optional[str]) -> None:
    """In local mode the Python workers run on this machine: unless
    PYSPARK_PYTHON names one, make them run this interpreter (the one that
    has ccsig, e.g. a virtual environment's python that is not activated)
    rather than whatever `python3` is first on PATH. On a cluster, the
    executors' Python is the cluster's business (PYSPARK_PYTHON,
    spark.pyspark.python, --archives: docs/scale.md)."""
    if os.environ.get("PYSPARK_PYTHON"):
        return
    if master is None or not master.startswith("local"):
        return
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def decide_partition(
    files: Iterable[tuple[str, bytes]],
    use: str,
    we_give: str,
    unknown: str,
    unreadable: str,
    vocabulary: str,
) -> Iterator[str]:
    """Runs in the executors: one JSON line per image."""
    import ccsig  # imported on the executor, where the wheel is installed

    for path, data in files:
        decisions = ccsig.decide_listed(
            path,
            data,
            use=use,
            we_give=we_give,
            unknown=unknown,
            unreadable=unreadable,
            vocabulary=vocabulary,
        )
        for d in decisions:
            # Every field of the record, in the library's order (docs/schema.md).
            yield json.dumps(d.to_dict(), ensure_ascii=False)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Fail closed, and fast: a typo costs no JVM start and runs no task.
    problem = validate_arguments(args)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2

    use_this_python_locally(spark_master(args))
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    # Start (or join) the JVM first, so that SparkConf() below sees the
    # configuration given with spark-submit --conf or spark-defaults.conf.
    SparkContext._ensure_initialized()
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

    partitions = args.partitions or sc.defaultParallelism * 4
    options = (args.use, args.we_give, args.unknown, args.unreadable, args.vocabulary)
    (
        sc.binaryFiles(args.input, minPartitions=partitions)
        .mapPartitions(lambda files: decide_partition(files, *options))
        .saveAsTextFile(args.output)
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
