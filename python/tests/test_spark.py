"""Runs examples/spark_decide.py with Spark in local[2] mode, in both read
modes, on generated tagged and untagged images (tar and tar.gz shards, a
tar without a name, plus loose files, with damaged images and images in
formats ccsig does not read among them) and checks every decision against
the CLI's `ccsig decide` on the same files; checks that the metadata mode
reads neither a whole image nor a whole shard at once; and checks that a
mistyped argument stops the job before Spark starts."""

from __future__ import annotations

import importlib.util
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

JPEG = (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes()


def padded_jpeg(extra: int) -> bytes:
    """The tagged JPEG with `extra` more bytes of image data before its end
    marker: its metadata is all in its first bytes."""
    return JPEG[:-2] + b"\x55" * extra + JPEG[-2:]


BIG_JPEG = padded_jpeg(8 << 20)


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
    member each; a third shard with a HEIC, a Fujifilm RAF, a JPEG and a
    caption; a gzipped shard with a JPEG of 8 MiB, a damaged JPEG and a
    caption; a tar named `untitled` (a shard by its bytes only); and a
    folder of loose images with captions, a damaged JPEG, an empty one, a
    JPEG of 8 MiB, a HEIC stub and a RAF (unsupported by their bytes), a
    TIFF-based NEF (unsupported by its name), a GIF, a TIFF, a HEIC ccsig
    reads, an empty caption and a hidden image."""
    root = tmp_path_factory.mktemp("spark-input")
    write_shards(root / "shards", 240, 2)
    with tarfile.open(root / "shards" / "mixed.tar", "w") as tar:
        add_member(tar, "m1.heic", HEIC)
        add_member(tar, "m1.txt", b"a caption")
        add_member(tar, "m2.raf", RAF)
        add_member(tar, "m3.jpg", JPEG)
    with tarfile.open(root / "shards" / "captioned.tar.gz", "w:gz") as tar:
        add_member(tar, "g1.jpg", BIG_JPEG)
        add_member(tar, "g1.txt", b"a caption")
        add_member(tar, "g2.jpg", (SAMPLES / "bad" / "truncated.jpg").read_bytes())
        add_member(tar, "g3.png", (SAMPLES / "tagged" / "ccsig-cr.png").read_bytes())
    with tarfile.open(root / "shards" / "untitled", "w") as tar:
        add_member(tar, "u1.webp", (SAMPLES / "tagged" / "ccsig-ec.webp").read_bytes())
        add_member(tar, "u1.json", b"{}")
    loose = root / "loose"
    write_files(loose, 45)
    shutil.copyfile(SAMPLES / "bad" / "truncated.jpg", loose / "broken.jpg")
    (loose / "phone.heic").write_bytes(HEIC)
    (loose / "scan.raf").write_bytes(RAF)
    (loose / "big.jpg").write_bytes(BIG_JPEG)
    (loose / "empty.jpg").write_bytes(b"")
    (loose / "empty.txt").write_bytes(b"")
    (loose / ".hidden.jpg").write_bytes(JPEG)
    for sample, name in [
        ("raw/DSC_0002.NEF", "DSC_0002.NEF"),
        ("bad/unsupported.gif", "anim.gif"),
        ("tiff/plain.tif", "plain.tif"),
        ("heif/exiftool-xmp.heic", "xmp.heic"),
    ]:
        shutil.copyfile(SAMPLES / sample, loose / name)
    return root


# The records of the tree: shard members, and loose images (the 45
# written, then broken, phone, scan, big, empty, NEF, GIF, TIFF, HEIC).
TAR_MEMBERS = 242 + 3
TAR_GZ_MEMBERS = 3
UNTITLED_MEMBERS = 1
LOOSE_IMAGES = 45 + 9


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


@pytest.mark.parametrize("read", [None, "whole"], ids=["default-metadata", "whole"])
def test_spark_decisions_agree_with_the_cli(tree: Path, tmp_path: Path, cli: Path, read: Optional[str]):
    we_give = "credit,open"
    mode = ("--read", read) if read else ()
    records = run_spark(tree, tmp_path / "out", "--use", "train-ai", "--we-give", we_give, *mode)
    ours = check_against_cli(records, tree, cli, "--use", "train-ai", "--we-give", we_give)

    # The data really covers every outcome, shard members and loose files.
    decisions = {r["decision"] for r in records}
    assert decisions == {"allowed", "allowed-with-terms", "disallowed", "unknown"}
    assert {r["state"] for r in records} == {"stated", "no-signal", "unreadable", "unsupported"}
    assert sum(".tar:" in p for p in ours) == TAR_MEMBERS
    assert sum(".tar.gz:" in p for p in ours) == TAR_GZ_MEMBERS
    assert sum("/untitled:" in p for p in ours) == UNTITLED_MEMBERS
    assert sum("/loose/" in p for p in ours) == LOOSE_IMAGES
    assert any(r["credit_name"] for r in records if r["decision"] == "allowed-with-terms")
    assert any(r["owed"] for r in records)
    assert ours[str(tree / "loose" / "big.jpg")]["state"] == "stated"
    assert ours[str(tree / "shards" / "captioned.tar.gz") + ":g1.jpg"]["state"] == "stated"
    assert ours[str(tree / "loose" / "empty.jpg")]["state"] == "unreadable"

    # Images ccsig does not read have their records; captions and hidden
    # files have none.
    unsupported = {p: r for p, r in ours.items() if r["state"] == "unsupported"}
    assert {p.rsplit("/", 1)[-1]: r["reason"] for p, r in unsupported.items()} == {
        "mixed.tar:m1.heic": "unsupported format: HEIF",
        "mixed.tar:m2.raf": "unsupported format: Fujifilm RAF",
        "phone.heic": "unsupported format: HEIF",
        "scan.raf": "unsupported format: Fujifilm RAF",
        "DSC_0002.NEF": "unsupported format: Nikon NEF",
        "anim.gif": "unsupported format: GIF",
    }
    assert all(r["decision"] == "unknown" and not r["usable"] for r in unsupported.values())
    assert not any(p.endswith((".txt", ".json")) for p in ours)
    assert not any("hidden" in p for p in ours)


def test_spark_unreadable_policy(tree: Path, tmp_path: Path, cli: Path):
    """--unreadable allow makes damaged and unsupported images usable, and
    --unknown allow those that say nothing; the CLI agrees."""
    args = ("--use", "train-ai", "--unknown", "allow", "--unreadable", "allow")
    records = run_spark(tree / "loose", tmp_path / "out", *args)
    ours = check_against_cli(records, tree / "loose", cli, *args)
    for r in ours.values():
        if r["state"] != "stated":
            assert r["usable"], r


def load_job():
    """The example as a module, for its driver and executor functions."""
    spec = importlib.util.spec_from_file_location("spark_decide", EXAMPLE)
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    return job


# Runs one executor function of the job on one file in a fresh interpreter
# and prints what the process read (the kernel's count of bytes returned
# by read calls, whoever made them) and how much its peak memory grew (the
# kernel's high-water mark of this program's resident memory: VmHWM, not
# ru_maxrss, which starts from the parent's peak).
MEASURE = r"""
import importlib.util, json, os, sys

example, mode, path, warm = sys.argv[1:]
spec = importlib.util.spec_from_file_location("spark_decide", example)
job = importlib.util.module_from_spec(spec)
spec.loader.exec_module(job)
options = dict(use="train-ai", we_give="credit", unknown="deny", unreadable="deny", vocabulary="draft-07")

def run(path):
    if mode == "metadata":
        return list(job.decide_listed_partition([[("file:" + path, os.path.getsize(path))]], options))
    with open(path, "rb") as f:
        return list(job.decide_partition([("file:" + path, f.read())], options))

def kernel(file, field):
    with open(file) as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field))

run(warm)  # imports and first calls, before measuring
read, peak = kernel("/proc/self/io", "rchar:"), kernel("/proc/self/status", "VmHWM:")
records = run(path)
print(json.dumps({
    "read": kernel("/proc/self/io", "rchar:") - read,
    "grew": (kernel("/proc/self/status", "VmHWM:") - peak) * 1024,
    "records": [json.loads(r) for r in records],
}))
"""

LINUX_ONLY = pytest.mark.skipif(
    not Path("/proc/self/io").exists(), reason="measures with Linux's /proc/self/io and /proc/self/status"
)


def measure(mode: str, path: Path, warm: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(EXAMPLE), mode, str(path), str(warm)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@LINUX_ONLY
def test_metadata_mode_reads_an_images_metadata_only(tmp_path: Path):
    """A JPEG of 8 MiB: the metadata mode's tasks read a few tens of KB of
    it (its head and its end), the whole mode all of it; both decide
    alike."""
    big = tmp_path / "big.jpg"
    big.write_bytes(BIG_JPEG)
    warm = tmp_path / "warm.jpg"
    warm.write_bytes(JPEG)
    metadata, whole = measure("metadata", big, warm), measure("whole", big, warm)
    assert whole["read"] >= len(BIG_JPEG), whole["read"]
    assert metadata["read"] < 256 << 10, metadata["read"]
    assert metadata["records"] == whole["records"]
    assert [r["state"] for r in metadata["records"]] == ["stated"]


@LINUX_ONLY
def test_metadata_mode_streams_a_shard(tmp_path: Path):
    """A shard with a JPEG of 64 MiB: the metadata mode's tasks stream it,
    so their peak memory grows by far less than the member; the whole mode
    holds the shard, and grows by at least that much."""
    member = padded_jpeg(64 << 20)
    shard = tmp_path / "s.tar"
    with tarfile.open(shard, "w") as tar:
        add_member(tar, "0001.jpg", member)
        add_member(tar, "0001.txt", b"a caption")
        add_member(tar, "0002.jpg", JPEG)
    warm = tmp_path / "warm.jpg"
    warm.write_bytes(JPEG)
    metadata, whole = measure("metadata", shard, warm), measure("whole", shard, warm)
    assert whole["grew"] >= len(member), whole["grew"]
    assert metadata["grew"] < 16 << 20, metadata["grew"]
    assert metadata["read"] >= len(member)  # streamed through, not skipped
    assert metadata["records"] == whole["records"]
    assert [r["path"].rsplit(":", 1)[-1] for r in metadata["records"]] == ["0001.jpg", "0002.jpg"]


def test_the_plan_gives_each_shard_a_task_and_spreads_loose_files():
    """Every listed file in exactly one task; a shard alone in its task,
    largest first; loose files over at least `partitions` tasks of at most
    IMAGES_PER_TASK."""
    job = load_job()
    shards = [("hdfs://nn/s/a.tar", 10), ("hdfs://nn/s/b.TGZ", 30), ("hdfs://nn/s/c.tar.gz", 20)]
    loose = [(f"hdfs://nn/l/{i:05d}.jpg", 100) for i in range(2 * job.IMAGES_PER_TASK + 10)]
    tasks = job.plan_tasks(shards + loose[::-1], partitions=2)
    assert tasks[:3] == [[shards[1]], [shards[2]], [shards[0]]]
    rest = tasks[3:]
    assert len(rest) == 3 and all(len(t) <= job.IMAGES_PER_TASK for t in rest)
    assert sorted(f for t in rest for f in t) == loose
    few = job.plan_tasks(loose[:5], partitions=8)
    assert len(few) == 5 and sorted(f for t in few for f in t) == loose[:5]
    assert job.plan_tasks([], partitions=8) == []


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


def test_metadata_mode_without_fsspec_exits_2_before_spark_starts(tree: Path, tmp_path: Path):
    """Without fsspec (here an `fsspec` module that fails to import, first
    on the path) the default mode is refused at once, naming the way out."""
    marker = tmp_path / "ran"
    fake_program(tmp_path / "bin", "java", marker)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "fsspec.py").write_text("raise ImportError('no fsspec here')\n")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shadow), env.get("PYTHONPATH")]))
    done = run_example(tree, tmp_path / "out", env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("spark_decide.py: --read metadata needs fsspec"), done.stderr
    assert "--read whole" in done.stderr
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


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
    assert len(records) == LOOSE_IMAGES
