#!/usr/bin/env python3
"""Decide, at cluster scale, which images a training pipeline may use.

    spark-submit examples/spark_decide.py INPUT OUTPUT --use train-ai --we-give credit,open
    python examples/spark_decide.py INPUT OUTPUT --master 'local[2]' ...

INPUT is any path Spark can read (a folder, a glob, hdfs://, s3a://...)
holding images, WebDataset tar shards (.tar, .tar.gz, .tgz), or both; folders
are listed recursively. Every image gets one decision, exactly as `ccsig
decide` would give on a local copy of the tree, including one ccsig cannot
read (damaged: state `unreadable`) or does not read (HEIC, TIFF, camera RAW,
GIF...: state `unsupported`); a shard gives one decision per image member;
anything else (captions, JSON) nothing.

`--read metadata` (the default) reads metadata only: the driver lists INPUT
with Spark's own file source (never opening a file) and each task opens its
files with fsspec: a loose image through `ccsig.decide_ranged`, which
fetches only the ranges its metadata needs (a JPEG: its first 64 KiB and its
last 4 KiB), and a shard through `ccsig.decide_listed` as a stream, member
by member. No task holds a whole shard, nor a whole image ccsig reads; a
file it does not read as an image (damaged, GIF, camera RAW, a caption) is
read whole, as the library needs it to say what it is. `--read whole`:
Spark's `binaryFiles` reads every file whole in the executor's JVM and
hands its bytes to Python; it needs no fsspec and reaches exactly the file
systems Hadoop reaches (see docs/scale.md for when to use it).

OUTPUT receives one JSON Lines file per partition (`part-00000`...), one
record per image with every field of `ccsig.Decision.to_dict()` (the fields
of a `ccsig decide` record, schema ccsig/3, after its `schema`): path,
decision, usable, state, met_signals, unmet_signals, owed, credit_name,
credit_url, credit_missing, credit_looked_at, reason, sources. Paths are as Spark
names them (`file:/data/a.jpg`, `hdfs://nn/shards/00001.tar:000042.jpg`),
the same in both modes.

The arguments are checked by the ccsig library on the driver before Spark
starts: a typo (`--use train_ai`) exits 2 with the nearest valid value, and
no task runs. The driver and the executors need the `ccsig` wheel
installed (and, for `--read metadata`, fsspec with the implementation of
the store: s3fs for s3a://, pyarrow for hdfs://...); see docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Iterable, Iterator, Optional


PROG = "spark_decide.py"

# What `ccsig.decide_listed` takes for a shard by its name; the driver uses
# it only to schedule, and the tasks to stream such a file rather than
# read it as an image (the library would do the same with the whole file).
SHARD_SUFFIXES = (".tar", ".tar.gz", ".tgz")

# Hadoop URI schemes whose fsspec protocol has another name; every other
# scheme (hdfs, gs, abfs...) is the same in both.
FSSPEC_PROTOCOLS = {"s3a": "s3", "s3n": "s3"}

# Shards, and files read whole, are read in order, in blocks of this size:
# few requests to an object store, and a bounded buffer per task.
STREAM_BLOCK = 8 << 20

# Loose images per task at most, in metadata mode: a task reads a few tens
# of KB per image, so this bounds a task to seconds, and a retried task
# repeats little.
IMAGES_PER_TASK = 1000


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
        "--read",
        choices=("metadata", "whole"),
        default="metadata",
        help="metadata: tasks read through fsspec only the bytes the metadata needs, and "
        "stream shards; whole: Spark's binaryFiles reads every file whole (default: metadata)",
    )
    p.add_argument(
        "--partitions",
        type=int,
        default=0,
        help="minimum number of partitions for the loose files (default: Spark's "
        "parallelism x 4); with --read metadata each shard is a task of its own",
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
    if args.read == "metadata":
        try:
            import fsspec  # noqa: F401
        except ImportError as e:
            return (
                f"--read metadata needs fsspec, which is not installed in {sys.executable} "
                f"({e}); install it, or use --read whole"
            )
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


def record(decision) -> str:
    """Every field of the decision's record, in the library's order
    (docs/schema.md), as one JSON line."""
    return json.dumps(decision.to_dict(), ensure_ascii=False)


def decide_partition(files: Iterable[tuple[str, bytes]], options: dict) -> Iterator[str]:
    """--read whole, in the executors: one JSON line per image of each
    (path, bytes) pair binaryFiles hands over."""
    import ccsig  # imported on the executor, where the wheel is installed

    for path, data in files:
        for d in ccsig.decide_listed(path, data, **options):
            yield record(d)


def is_shard_name(path: str) -> bool:
    return path.lower().endswith(SHARD_SUFFIXES)


def open_file(path: str, **open_options):
    """Opens a file Spark listed, by its URI, with fsspec."""
    import fsspec

    scheme, sep, rest = path.partition("://")
    url = FSSPEC_PROTOCOLS.get(scheme, scheme) + sep + rest if sep else path
    fs, fs_path = fsspec.core.url_to_fs(url)
    return fs.open(fs_path, "rb", **open_options)


def decide_file(path: str, size: Optional[int], options: dict) -> list:
    """--read metadata, for one listed file: the decisions
    `ccsig.decide_listed(path, whole bytes)` gives, reading only what they
    need."""
    import ccsig

    # A shard is streamed by its name; anything else is read in ranges
    # (`url` gives the ranged read the file's name, by which a camera RAW
    # that is TIFF inside is known).
    if not is_shard_name(path):
        # No read-ahead: each fetch is one ranged request of what it asks.
        with open_file(path, cache_type="none") as f:

            def fetch(offset: int, length: int) -> bytes:
                f.seek(offset)
                return f.read(length)

            try:
                return [ccsig.decide_ranged(fetch, size, on_error="raise", url=path, **options)]
            except (ccsig.UnreadableImage, ccsig.AccessError):
                # Not an image ccsig reads: damaged, another format, a
                # caption, a tar by its bytes. How such a file is named,
                # skipped or streamed is decide_listed's to say.
                pass
    with open_file(path, block_size=STREAM_BLOCK) as f:
        return ccsig.decide_listed(path, f, **options)


def decide_listed_partition(tasks: Iterable[list[tuple[str, int]]], options: dict) -> Iterator[str]:
    """--read metadata, in the executors: one JSON line per image of each
    listed (path, size)."""
    for files in tasks:
        for path, size in files:
            for d in decide_file(path, size, options):
                yield record(d)


def list_files(sc, pattern: str) -> Optional[list[tuple[str, int]]]:
    """(path, size) of every file binaryFiles would read for `pattern`, or
    None when nothing matches it. Listed by Hadoop's FileSystem through
    Spark's JVM, so every URI Spark reads works and paths are named as
    binaryFiles names them; folders recursively, leaving out names that
    start with `_` or `.` at every level, as Hadoop's FileInputFormat does.
    Not listFiles: Hadoop's local file system forks `ls` for each located
    status it makes (about 5 ms a file here), listStatus does not."""
    root = sc._jvm.org.apache.hadoop.fs.Path(pattern)
    fs = root.getFileSystem(sc._jsc.hadoopConfiguration())
    matches = fs.globStatus(root)
    if not matches:
        return None
    files, todo = [], list(matches)
    while todo:
        status = todo.pop()
        path = status.getPath().toString()
        if path.rstrip("/").rsplit("/", 1)[-1].startswith(("_", ".")):
            continue
        if status.isDirectory():
            todo.extend(fs.listStatus(status.getPath()))
        else:
            files.append((path, status.getLen()))
    return files


def plan_tasks(files: list[tuple[str, int]], partitions: int) -> list[list[tuple[str, int]]]:
    """Each shard a task of its own, largest first, so that the longest
    tasks start first; the loose files in at least `partitions` tasks of at
    most IMAGES_PER_TASK."""
    shards = sorted((f for f in files if is_shard_name(f[0])), key=lambda f: -f[1])
    loose = sorted(f for f in files if not is_shard_name(f[0]))
    groups = min(len(loose), max(partitions, -(-len(loose) // IMAGES_PER_TASK)))
    return [[s] for s in shards] + [
        loose[i * len(loose) // groups : (i + 1) * len(loose) // groups] for i in range(groups)
    ]


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
    # binaryFiles packs small files into partitions of about (total bytes +
    # an assumed 4 MB "open cost" per file) / parallelism, but fills them
    # by real bytes: with the default, a few thousand images land in one
    # partition and one core. A small open cost spreads them over every
    # core; at scale the 128 MB partition cap rules either way. A value
    # given with --conf wins.
    if args.read == "whole" and not SparkConf().contains("spark.files.openCostInBytes"):
        builder = builder.config("spark.files.openCostInBytes", "4096")
    spark = builder.getOrCreate()
    sc = spark.sparkContext

    partitions = args.partitions or sc.defaultParallelism * 4
    options = dict(
        use=args.use,
        we_give=args.we_give,
        unknown=args.unknown,
        unreadable=args.unreadable,
        vocabulary=args.vocabulary,
    )
    if args.read == "whole":
        # Folders are listed recursively, by Spark's own (Hadoop) file
        # system code, so any URI scheme the cluster knows works unchanged.
        sc._jsc.hadoopConfiguration().set(
            "mapreduce.input.fileinputformat.input.dir.recursive", "true"
        )
        decided = sc.binaryFiles(args.input, minPartitions=partitions).mapPartitions(
            lambda files: decide_partition(files, options)
        )
    else:
        files = list_files(sc, args.input)
        if files is None:
            spark.stop()
            print(f"{PROG}: {args.input}: no such file or folder", file=sys.stderr)
            return 1
        tasks = plan_tasks(files, partitions)
        # One planned task per partition: parallelize slices evenly.
        decided = sc.parallelize(tasks, max(1, len(tasks))).mapPartitions(
            lambda planned: decide_listed_partition(planned, options)
        )
    decided.saveAsTextFile(args.output)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
