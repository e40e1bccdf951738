"""Runs examples/spark_decide.py with Spark in local[2] mode on generated
tagged and untagged images (two tar shards, plus loose files) and checks
every decision against the CLI's `ccsig decide` on the same files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLES, run_decide
from dataset import write_files, write_shards

FIELDS = {"path", "decision", "usable", "met_signals", "credit_name", "credit_url", "reason"}
EXAMPLE = REPO / "examples" / "spark_decide.py"


def spark_available() -> None:
    """PySpark and Java are required: their absence fails, it does not skip."""
    import pyspark  # noqa: F401

    assert shutil.which("java") or os.environ.get("JAVA_HOME"), "Spark needs a Java runtime"


def run_spark(input_dir: Path, output_dir: Path, *args: str) -> list[dict]:
    spark_available()
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(input_dir), str(output_dir), "--master", "local[2]", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    parts = sorted(output_dir.glob("part-*"))
    assert parts, f"no part files in {output_dir}"
    records = []
    for part in parts:
        for line in part.read_text().splitlines():
            records.append(json.loads(line))
    return records


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Two shards of tagged and untagged images with captions and a damaged
    member each, and a folder of loose images with captions."""
    root = tmp_path_factory.mktemp("spark-input")
    write_shards(root / "shards", 240, 2)
    write_files(root / "loose", 45)
    shutil.copyfile(SAMPLES / "bad" / "truncated.jpg", root / "loose" / "broken.jpg")
    return root


def spark_path(path: str) -> str:
    """Spark names local files `file:/abs/path`; the CLI names them as given."""
    return path.removeprefix("file:")


def test_spark_decisions_agree_with_the_cli(tree: Path, tmp_path: Path, cli: Path):
    we_give = "credit,open"
    records = run_spark(tree, tmp_path / "out", "--use", "train-ai", "--we-give", we_give)
    for r in records:
        assert set(r) == FIELDS, r
    ours = {spark_path(r["path"]): r for r in records}
    assert len(ours) == len(records), "a file was decided twice"

    expected = {r["path"]: r for r in run_decide(cli, str(tree), "--use", "train-ai", "--we-give", we_give)}
    assert set(ours) == set(expected)
    for path, r in ours.items():
        e = expected[path]
        assert {k: r[k] for k in FIELDS - {"path"}} == {k: e[k] for k in FIELDS - {"path"}}, path

    # The data really covers every outcome, shard members and loose files.
    decisions = {r["decision"] for r in records}
    assert decisions == {"allowed", "allowed-with-terms", "disallowed", "unknown"}
    assert sum(".tar:" in p for p in ours) == 242
    assert sum("/loose/" in p for p in ours) == 46
    assert any(r["credit_name"] for r in records if r["decision"] == "allowed-with-terms")
