"""Runs examples/spark_decide.py with Spark in local[2] mode on generated
tagged and untagged images (three tar shards, plus loose files, with images
in formats ccsig does not read among them) and checks every decision
against the CLI's `ccsig decide` on the same files; and checks that a
mistyped argument stops the job before Spark starts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Optional

import pytest

from conftest import DECISION_FIELDS, REPO, SAMPLES, run_decide
from dataset import add_member, write_files, write_shards

FIELDS = set(DECISION_FIELDS)
EXAMPLE = REPO / "examples" / "spark_decide.py"

# Images in formats ccsig does not read: each must still get a record.
HEIC = b"\0\0\0\x18ftypheic" + bytes(64)
RAF = b"FUJIFILMCCD-RAW 0201" + bytes(64)


def spark_available() -> None:
    """PySpark and Java are required: their absence fails, it does not skip."""
    import pyspark  # noqa: F401

    assert shutil.which("java") or os.environ.get("JAVA_HOME"), "Spark needs a Java runtime"


def run_example(input_dir: Path, output_dir: Path, *args: str, env: Optional[dict] = None, timeout: int = 900):
    """Runs the example with this interpreter; by default with PYSPARK_PYTHON
    and PYSPARK_DRIVER_PYTHON naming it, as a cluster set-up would."""
    if env is None:
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    env = {**env, "SPARK_LOCAL_IP": "127.0.0.1"}
    return subprocess.run(
        [sys.executable, str(EXAMPLE), str(input_dir), str(output_dir), "--master", "local[2]", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_output(output_dir: Path) -> list[dict]:
    parts = sorted(output_dir.glob("part-*"))
    assert parts, f"no part files in {output_dir}"
    return [json.loads(line) for part in parts for line in part.read_text().splitlines()]


def run_spark(input_dir: Path, output_dir: Path, *args: str, env: Optional[dict] = None) -> list[dict]:
    spark_available()
    done = run_example(input_dir, output_dir, *args, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    return read_output(output_dir)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Two shards of tagged and untagged images with captions and a damaged
    member each; a third shard with a HEIC, a Fujifilm RAF, a JPEG and a caption;
    and a folder of loose images with captions, a damaged JPEG, a HEIC and
    a RAF."""
    root = tmp_path_factory.mktemp("spark-input")
    write_shards(root / "shards", 240, 2)
    with tarfile.open(root / "shards" / "mixed.tar", "w") as tar:
        add_member(tar, "m1.heic", HEIC)
        add_member(tar, "m1.txt", b"a caption")
        add_member(tar, "m2.raf", RAF)
        add_member(tar, "m3.jpg", (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes())
    write_files(root / "loose", 45)
    shutil.copyfile(SAMPLES / "bad" / "truncated.jpg", root / "loose" / "broken.jpg")
    (root / "loose" / "phone.heic").write_bytes(HEIC)
    (root / "loose" / "scan.raf").write_bytes(RAF)
    return root


def spark_path(path: str) -> str:
    """Spark names local files `file:/abs/path`; the CLI names them as given."""
    return path.removeprefix("file:")


def check_against_cli(records: list[dict], root: Path, cli: Path, *decide_args: str) -> dict[str, dict]:
    """Every record has every field, no image is decided twice, and the
    records are the CLI's, field for field. Returns them by path."""
    for r in records:
        assert set(r) == FIELDS, r
    ours = {spark_path(r["path"]): r for r in records}
    assert len(ours) == len(records), "a file was decided twice"
    expected = {r["path"]: r for r in run_decide(cli, str(root), *decide_args)}
    assert set(ours) == set(expected)
    for path, r in ours.items():
        assert {**r, "path": path} == expected[path], path
    return ours


def test_spark_decisions_agree_with_the_cli(tree: Path, tmp_path: Path, cli: Path):
    we_give = "credit,open"
    records = run_spark(tree, tmp_path / "out", "--use", "train-ai", "--we-give", we_give)
    ours = check_against_cli(records, tree, cli, "--use", "train-ai", "--we-give", we_give)

    # The data really covers every outcome, shard members and loose files.
    decisions = {r["decision"] for r in records}
    assert decisions == {"allowed", "allowed-with-terms", "disallowed", "unknown"}
    assert {r["state"] for r in records} == {"stated", "no-signal", "unreadable", "unsupported"}
    assert sum(".tar:" in p for p in ours) == 242 + 3
    assert sum("/loose/" in p for p in ours) == 46 + 2
    assert any(r["credit_name"] for r in records if r["decision"] == "allowed-with-terms")
    assert any(r["owed"] for r in records)

    # Images ccsig does not read have their records; captions have none.
    unsupported = {p: r for p, r in ours.items() if r["state"] == "unsupported"}
    assert {p.rsplit("/", 1)[-1]: r["reason"] for p, r in unsupported.items()} == {
        "mixed.tar:m1.heic": "unsupported format: HEIF",
        "mixed.tar:m2.raf": "unsupported format: Fujifilm RAF",
        "phone.heic": "unsupported format: HEIF",
        "scan.raf": "unsupported format: Fujifilm RAF",
    }
    assert all(r["decision"] == "unknown" and not r["usable"] for r in unsupported.values())
    assert not any(p.endswith((".txt", ".json")) for p in ours)


def test_spark_unreadable_policy(tree: Path, tmp_path: Path, cli: Path):
    """--unreadable allow makes damaged and unsupported images usable, and
    --unknown allow those that say nothing; the CLI agrees."""
    args = ("--use", "train-ai", "--unknown", "allow", "--unreadable", "allow")
    records = run_spark(tree / "loose", tmp_path / "out", *args)
    ours = check_against_cli(records, tree / "loose", cli, *args)
    for r in ours.values():
        if r["state"] != "stated":
            assert r["usable"], r


def fake_program(folder: Path, name: str, marker: Path) -> None:
    """A program `name` in `folder` that records that it ran and fails."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho {name} \"$@\" >> {marker}\nexit 3\n")
    script.chmod(0o755)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--use", "train_ai"], 'use: "train_ai" is not a usage label of draft-07 (expected one of: train-ai, search); did you mean "train-ai"?'),
        (["--we-give", "credit,opne"], 'we_give: "opne" is not a signal element'),
        (["--unknown", "alow"], 'unknown: "alow" is not an unknown policy (expected one of: deny, allow); did you mean "allow"?'),
        (["--unreadable", "alow"], 'unreadable: "alow" is not an unreadable policy'),
        (["--vocabulary", "draft07"], 'did you mean "draft-07"?'),
        (["--use", "ai-use"], 'use: "ai-use" is not a usage label of draft-07'),
    ],
)
def test_a_typo_exits_2_before_spark_starts(tree: Path, tmp_path: Path, args: list[str], message: str):
    """No JVM is started (a `java` that records its runs is first on PATH),
    no output folder is made, and the library's message is printed."""
    marker = tmp_path / "ran"
    fake_program(tmp_path / "bin", "java", marker)
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    started = time.monotonic()
    done = run_example(tree, tmp_path / "out", *args, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("spark_decide.py: "), done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not marker.exists(), "the job started a JVM for arguments it could have refused"
    assert not (tmp_path / "out").exists()
    assert elapsed < 20, elapsed


def test_runs_with_an_unactivated_venv_and_no_pyspark_python(tree: Path, tmp_path: Path, cli: Path):
    """`<venv>/bin/python examples/spark_decide.py ...` with neither
    PYSPARK_PYTHON nor PYSPARK_DRIVER_PYTHON set and the venv not activated:
    the local executors must run this interpreter (which has ccsig), not the
    `python3` on PATH (here one that fails and records that it ran)."""
    spark_available()
    marker = tmp_path / "ran"
    for name in ("python3", "python"):
        fake_program(tmp_path / "bin", name, marker)
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PATH"] = os.pathsep.join([str(tmp_path / "bin"), *path])
    args = ("--use", "train-ai", "--we-give", "credit")
    done = run_example(tree / "loose", tmp_path / "out", *args, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    assert not marker.exists(), marker.read_text()
    records = read_output(tmp_path / "out")
    check_against_cli(records, tree / "loose", cli, *args)
    assert len(records) == 48
