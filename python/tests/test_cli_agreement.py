"""The binding and the CLI read every sample image the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

import ccsig
from conftest import REPO, run_decide, run_jsonl, sample_files
from dataset import write_shards


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


@pytest.mark.parametrize(
    "use, we_give, unknown, unreadable",
    [
        ("train-ai", "credit,open", "deny", "deny"),
        ("train-ai", "credit", "allow", "deny"),
        ("train-ai", "", "deny", "allow"),
        ("search", "credit,direct-contribution,ecosystem-contribution,open", "allow", "allow"),
    ],
)
def test_decide_agrees_with_cli_decide(
    cli: Path, tmp_path: Path, use: str, we_give: str, unknown: str, unreadable: str
):
    """Every sample image (the unreadable and the GIF included) and every
    member of two generated shards: the CLI, decide_tree, and decide() on
    each file or member agree, field for field."""
    write_shards(tmp_path / "shards", 120, 2)
    roots = [str(REPO / "sample-images"), str(tmp_path / "shards")]
    policy = {"use": use, "we_give": we_give, "unknown": unknown, "unreadable": unreadable}
    expected = run_decide(
        cli, *roots, "--use", use, "--we-give", we_give, "--unknown", unknown, "--unreadable", unreadable
    )
    assert len(expected) > 120
    # The samples cover every state, so the policies are really exercised.
    assert {r["state"] for r in expected} == {"stated", "no-signal", "unreadable", "unsupported"}
    tree = [d.to_dict() for d in ccsig.decide_tree(roots, **policy)]
    assert tree == expected  # same records, same (walk) order
    for record in expected:
        if ".tar:" in record["path"]:
            continue  # members are covered by decide_tree above and by test_tree.py
        d = ccsig.decide(record["path"], **policy, on_error="unknown")
        assert d.to_dict() == record, record["path"]
    usable_states = {r["state"] for r in expected if r["usable"]}
    assert ("no-signal" in usable_states) == (unknown == "allow")
    assert ("unreadable" in usable_states) == (unreadable == "allow")
    assert ("unsupported" in usable_states) == (unreadable == "allow")
