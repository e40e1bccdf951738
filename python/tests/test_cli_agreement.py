"""The binding and the CLI read every sample image the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

import ccsig
from conftest import REPO, run_jsonl, sample_files


def test_read_agrees_with_cli_read_on_every_sample(cli: Path):
    files = sample_files()
    records = {r["path"]: r for r in run_jsonl(cli, "read", *[str(p.relative_to(REPO)) for p in files])}
    assert len(records) == len(files)
    for path in files:
        record = records[str(path.relative_to(REPO))]
        if record["status"] == "error":
            with pytest.raises(ccsig.UnreadableImage) as e:
                ccsig.read(path)
            assert record["error"] in str(e.value)
            continue
        s = ccsig.read(path)
        assert s.format == record["format"], path
        assert s.decisions == {k: v["decision"] for k, v in record["decisions"].items()}, path
        assert s.exceptions == {k: v["signals"] for k, v in record["decisions"].items()}, path
        credit = record["credit"] or {}
        assert (s.credit_name, s.credit_url) == (credit.get("name"), credit.get("url")), path
        stated = [(src["field"], src["stored"], src["expression"]) for src in record["sources"] if src["note"] is None]
        assert s.sources == stated, path
        assert s.c2pa == record["c2pa"]


def test_check_agrees_with_cli_check_on_every_sample(cli: Path):
    files = sample_files()
    by_path: dict[str, list] = {str(p.relative_to(REPO)): [] for p in files}
    for r in run_jsonl(cli, "check", *by_path):
        by_path[r["path"]].append((r["kind"], r["severity"], r["fields"], r["message"]))
    for path in files:
        ours = [(f.kind, f.severity, f.fields, f.message) for f in ccsig.check(path)]
        assert ours == by_path[str(path.relative_to(REPO))], path
