"""Shared fixtures: the repository's sample images and the CLI built from
the same checkout, which the binding must agree with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample-images"


def sample_files() -> list[Path]:
    """Every sample image (good, tagged and broken), in a stable order."""
    return sorted(
        p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix not in (".md", ".sh")
    )


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `ccsig` binary: $CCSIG_BIN, else target/release/ccsig, built if
    missing (the tests compare with it, so they never skip for want of it)."""
    explicit = os.environ.get("CCSIG_BIN")
    if explicit:
        return Path(explicit)
    binary = REPO / "target" / "release" / "ccsig"
    if not binary.exists():
        cargo = shutil.which("cargo")
        assert cargo, "cargo is needed to build the ccsig CLI the tests compare with"
        subprocess.run([cargo, "build", "--release", "--bin", "ccsig"], cwd=REPO, check=True)
    return binary


def run_jsonl(cli: Path, *args: str) -> list[dict]:
    """Runs the CLI with `--format jsonl` and parses every record."""
    done = subprocess.run(
        [str(cli), *args, "--format", "jsonl"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


#: The fields of a `ccsig decide` record after `schema`, in order; also
#: those of `Decision.to_dict()`.
DECISION_FIELDS = [
    "path",
    "decision",
    "usable",
    "state",
    "met_signals",
    "unmet_signals",
    "owed",
    "credit_name",
    "credit_url",
    "credit_missing",
    "credit_looked_at",
    "reason",
    "sources",
]


def run_decide(cli: Path, *args: str) -> list[dict]:
    """Runs `ccsig decide` (JSON Lines, one record per image) and parses it.
    Each record must start with `"schema": "ccsig/3"` and then hold exactly
    DECISION_FIELDS in order; the records are returned without `schema`, so
    they compare equal to `Decision.to_dict()`."""
    done = subprocess.run([str(cli), "decide", *args], cwd=REPO, capture_output=True, text=True)
    # 1: some image could not be read (it still has its record).
    assert done.returncode in (0, 1), done.stderr
    records = []
    for line in done.stdout.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        assert list(record) == ["schema", *DECISION_FIELDS], line
        assert record.pop("schema") == "ccsig/3", line
        records.append(record)
    return records
