"""Pipelines fail closed.

1. Every bad argument, at every entry point it applies to, raises
   ``InvalidArgument`` (a ``ValueError``) naming the keyword and, where one
   is near, the valid value meant, *before any file is read or touched*.
2. Every image gets an answer: images ccsig cannot read (damaged) or does
   not read (HEIC, TIFF, camera RAW) get a decision saying so, in folders
   and in shards, from the binding and from the CLI alike; captions get none.
3. Unknown is not unreadable: ``unknown="allow"`` opens only files that were
   read and say nothing; ``unreadable="allow"`` only those ccsig could not see.
4. What is owed is spelled out: the elements, and whom to credit or that
   nobody is named.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import ccsig
from conftest import DECISION_FIELDS, SAMPLES, run_decide

PLAIN_JPG = SAMPLES / "jpeg" / "plain.jpg"
PLAIN_PNG = SAMPLES / "png" / "plain.png"
CR_PNG = SAMPLES / "tagged" / "ccsig-cr.png"
CR_OP = SAMPLES / "tagged" / "ccsig-cr-op.jpg"
NAMED_CR = SAMPLES / "tagged" / "datamining-constraint.jpg"  # cc-cr, credit "Ada Example", no URL

# --- 1. bad arguments ------------------------------------------------------

#: Not a suggestion to look for (none is near, or none is promised).
NO_SUGGESTION = None
#: Whatever the library suggests, if anything, is not checked.
ANY = object()

#: (keyword, bad value, what the message says after `<keyword>: `, the valid value it suggests)
BAD_VALUES: list[tuple[str, Any, str, Any]] = [
    ("use", "train_ai", '"train_ai" is not a usage label of draft-07', "train-ai"),
    ("use", "trian-ai", '"trian-ai" is not a usage label of draft-07', "train-ai"),
    ("use", "Train-AI", '"Train-AI" is not a usage label of draft-07', "train-ai"),
    ("use", "ai-use", '"ai-use" is not a usage label of draft-07', ANY),  # a draft-08 label
    ("use", "", '"" is not a usage label of draft-07', NO_SUGGESTION),
    ("we_give", ["credt"], '"credt" is not a signal element', "credit"),
    ("we_give", "credit,opne", '"opne" is not a signal element', "open"),
    ("unknown", "alow", '"alow" is not an unknown policy (expected one of: deny, allow)', "allow"),
    ("unknown", "yes", '"yes" is not an unknown policy (expected one of: deny, allow)', NO_SUGGESTION),
    ("unreadable", "alow", '"alow" is not an unreadable policy (expected one of: deny, allow)', "allow"),
    ("vocabulary", "draft07", '"draft07" is not a vocabulary', "draft-07"),
    ("on_error", "ignore", '"ignore" is not an on_error policy (expected one of: raise, unknown)', NO_SUGGESTION),
    ("expect", "train_ai=n", "refusing `train_ai=n`", ANY),
    ("expect", "tdm=n", "refusing `tdm=n`", ANY),
    ("signal", "cc-cr-opp", '"cc-cr-opp" is not a CC signal code', "cc-cr-op"),
]


class Target:
    """What an entry point is given to read or touch, and a way to see that
    it was not: a path that does not exist (reading it would raise
    AccessError, or give an `unreadable` finding or decision), or an
    existing file whose bytes, times and folder must stay as they were."""

    def __init__(self, tmp_path: Path):
        self.missing = tmp_path / "does-not-exist" / "photo.jpg"
        self.folder = tmp_path / "files"
        self.folder.mkdir()
        self.file = self.folder / "photo.jpg"
        shutil.copyfile(PLAIN_JPG, self.file)
        os.utime(self.file, (1_000_000_000, 1_000_000_000))
        self.before = self.state()

    def state(self) -> tuple:
        st = os.stat(self.file)
        return (self.file.read_bytes(), st.st_mtime_ns, st.st_ino, sorted(os.listdir(self.folder)))

    def untouched(self) -> bool:
        return self.state() == self.before


def call_decide_path(t: Target, kw: dict) -> Any:
    return ccsig.decide(t.missing, **kw)


def call_decide_bytes(t: Target, kw: dict) -> Any:
    return ccsig.decide(PLAIN_JPG.read_bytes(), **kw)


def call_decide_tree(t: Target, kw: dict) -> Any:
    # Must raise here, when called: not at the first next().
    return ccsig.decide_tree([t.missing, t.folder], **kw)


def call_decide_listed(t: Target, kw: dict) -> Any:
    return ccsig.decide_listed("s3a://bucket/photo.jpg", PLAIN_JPG.read_bytes(), **kw)


def call_read(t: Target, kw: dict) -> Any:
    return ccsig.read(t.missing, **kw)


def call_check(t: Target, kw: dict) -> Any:
    return ccsig.check(t.missing, **kw)


def call_apply(t: Target, kw: dict) -> Any:
    return ccsig.apply(t.file, **{"signal": "cc-cr", **kw})


def call_apply_bytes(t: Target, kw: dict) -> Any:
    return ccsig.apply_bytes(PLAIN_JPG.read_bytes(), **{"signal": "cc-cr", **kw})


DECIDING = ("use", "we_give", "unknown", "unreadable", "vocabulary")
#: Entry point -> (how to call it, the keywords it takes values for).
ENTRY_POINTS: dict[str, tuple[Callable[[Target, dict], Any], tuple[str, ...]]] = {
    "decide(path)": (call_decide_path, DECIDING + ("on_error",)),
    "decide(bytes)": (call_decide_bytes, DECIDING + ("on_error",)),
    "decide_tree": (call_decide_tree, DECIDING),
    "decide_listed": (call_decide_listed, DECIDING),
    "read": (call_read, ("vocabulary",)),
    "check": (call_check, ("vocabulary", "expect")),
    "apply": (call_apply, ("signal", "use", "vocabulary")),
    "apply_bytes": (call_apply_bytes, ("signal", "use", "vocabulary")),
}

MATRIX = [
    pytest.param(entry, keyword, value, says, suggestion, id=f"{entry}-{keyword}={value!r}")
    for entry, (_, keywords) in ENTRY_POINTS.items()
    for keyword, value, says, suggestion in BAD_VALUES
    if keyword in keywords
]


def test_the_matrix_covers_every_bad_value_and_entry_point():
    assert {(k, repr(v)) for _, k, v, _, _ in (p.values for p in MATRIX)} == {(k, repr(v)) for k, v, _, _ in BAD_VALUES}
    assert {p.values[0] for p in MATRIX} == set(ENTRY_POINTS)
    assert len(MATRIX) == 64  # 12 + 12 + 11 + 11 + 1 + 3 + 7 + 7


def walk_threads() -> int:
    """decide_tree's walk threads alive (Linux names them in /proc)."""
    tasks = Path("/proc/self/task")
    if not tasks.exists():
        return 0
    alive = 0
    for task in tasks.iterdir():
        try:
            alive += (task / "comm").read_text().startswith("ccsig-decide")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return alive


@pytest.mark.parametrize("entry, keyword, value, says, suggestion", MATRIX)
def test_a_bad_argument_is_refused_before_any_file_is_read(
    tmp_path: Path, entry: str, keyword: str, value: Any, says: str, suggestion: Any
):
    call, _ = ENTRY_POINTS[entry]
    target = Target(tmp_path)
    threads = walk_threads()
    expected = ccsig.InvalidExpression if keyword == "expect" else ccsig.InvalidArgument
    with pytest.raises(expected) as e:
        call(target, {keyword: value})
    error = e.value
    # An InvalidArgument, also a ValueError, and not a complaint about a file
    # (AccessError, UnreadableImage): the file was never opened.
    assert type(error) is expected
    assert isinstance(error, ValueError) and isinstance(error, ccsig.CcsigError)
    assert error.kind == ("expression" if keyword == "expect" else "argument")
    assert error.path is None
    message = str(error)
    assert message.startswith(f"{keyword}: {says}"), message
    assert str(target.missing) not in message
    if suggestion is NO_SUGGESTION:
        assert "did you mean" not in message, message
    elif suggestion is not ANY:
        assert message.endswith(f'; did you mean "{suggestion}"?'), message
    assert target.untouched()
    assert not target.missing.parent.exists()
    assert walk_threads() <= threads  # decide_tree started no walk (an earlier one may end meanwhile)


@pytest.mark.parametrize(
    "entry",
    ["decide(path)", "decide(bytes)", "decide_tree", "decide_listed", "read", "check", "apply", "apply_bytes"],
)
def test_valid_arguments_still_reach_the_file(tmp_path: Path, entry: str):
    """The other half of the proof above: with good values the same calls do
    read (a missing file is an AccessError or an `unreadable` answer) or
    write."""
    call, _ = ENTRY_POINTS[entry]
    target = Target(tmp_path)
    kw = {"expect": "train-ai=n"} if entry == "check" else {}
    if entry in ("decide(path)", "read"):
        with pytest.raises(ccsig.AccessError):
            call(target, kw)
        return
    result = call(target, kw)
    if entry == "decide_tree":
        decisions = {d.path: d.state for d in result}
        assert decisions == {str(target.missing): "unreadable", str(target.file): "no-signal"}
    elif entry == "check":
        assert [f.kind for f in result] == ["unreadable"]
    elif entry == "apply":
        assert result.change == "written" and not target.untouched()
    elif entry == "apply_bytes":
        assert ccsig.read(result).expression == "train-ai=n;exceptions=cc-cr"
    elif entry == "decide_listed":
        assert [d.state for d in result] == ["no-signal"]
    else:
        assert result.state == "no-signal"


def test_several_bad_elements_name_the_first():
    with pytest.raises(ccsig.InvalidArgument, match='^we_give: "credt" .*did you mean "credit"'):
        ccsig.decide(PLAIN_JPG, we_give=["credit", "credt", "opne"])


def test_use_with_expression_is_refused_before_the_file_is_touched(tmp_path: Path):
    target = Target(tmp_path)
    for call in (call_apply, call_apply_bytes):
        with pytest.raises(ccsig.InvalidArgument, match="use goes with signal") as e:
            call(target, {"signal": None, "expression": "train-ai=n", "use": "train-ai"})
        assert type(e.value) is ccsig.InvalidArgument
    assert target.untouched()


@pytest.mark.parametrize("expression", ["train_ai=n", "tdm=n", "train-ai=n;exceptions=cc-cr-opp"])
def test_apply_refuses_an_expression_readers_would_ignore(tmp_path: Path, expression: str):
    target = Target(tmp_path)
    with pytest.raises(ccsig.InvalidExpression):
        ccsig.apply(target.file, expression=expression)
    assert target.untouched()


@pytest.mark.parametrize("expect", ["train_ai=n", "tdm=n"])
def test_check_force_compares_an_expect_as_given(expect: str):
    findings = ccsig.check(CR_OP, expect=expect, force=True)
    assert [f.kind for f in findings] == ["unexpected"]
    assert findings[0].message.startswith(expect.split("=")[0] + ": expected disallowed")


def test_a_draft_08_label_needs_the_draft_08_vocabulary():
    data = ccsig.apply_bytes(PLAIN_JPG.read_bytes(), signal="cc-cr", use="ai-use", vocabulary="draft-08", credit_name="Zed")
    assert ccsig.read(data, vocabulary="draft-08").decisions["ai-use"] == "allowed-with-terms"
    assert "ai-use" not in ccsig.read(data).decisions
    d = ccsig.decide(data, use="ai-use", we_give="credit", vocabulary="draft-08")
    assert (d.decision, d.usable, d.credit_name) == ("allowed-with-terms", True, "Zed")
    [listed] = ccsig.decide_listed("a.jpg", data, use="ai-use", we_give="credit", vocabulary="draft-08")
    assert listed.to_dict() == {**d.to_dict(), "path": "a.jpg"}
    with pytest.raises(ccsig.InvalidArgument, match='^use: "ai-use"'):
        ccsig.decide(data, use="ai-use", we_give="credit")


def test_remove_takes_no_values_and_still_works(tmp_path: Path):
    target = tmp_path / "p.png"
    shutil.copyfile(CR_PNG, target)
    assert ccsig.remove(target).change == "removed"
    assert ccsig.read(target).expression is None
    assert ccsig.remove_bytes(PLAIN_PNG.read_bytes()) == PLAIN_PNG.read_bytes()


# --- 2. every image gets an answer -------------------------------------------

HEIC = b"\0\0\0\x18ftypheic" + bytes(40)
TIFF = b"II*\0\x08\0\0\0" + bytes(40)
RAF = b"FUJIFILMCCD-RAW 0201" + bytes(40)

#: name -> (state, reason, or a prefix of it ending in ": ")
IMAGES = {
    "a.jpg": ("no-signal", "no signal in the file"),
    "x.heic": ("unsupported", "unsupported format: HEIF"),
    "t.tif": ("unreadable", "unreadable: "),  # a TIFF whose IFD0 is empty
    "n.nef": ("unsupported", "unsupported format: Nikon NEF"),
    "f.raf": ("unsupported", "unsupported format: Fujifilm RAF"),
    "p.png": ("unreadable", "unreadable: "),
}
CAPTIONS = ("a.txt", "a.json")


def mixed_files() -> dict[str, bytes]:
    return {
        "a.jpg": PLAIN_JPG.read_bytes(),
        "x.heic": HEIC,
        "t.tif": TIFF,
        "n.nef": TIFF,
        "f.raf": RAF,
        "p.png": PLAIN_PNG.read_bytes()[:60],
        "a.txt": b"a caption",
        "a.json": b'{"caption": "a caption"}',
    }


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, Path]:
    """A folder and a tar shard holding the same files."""
    root = tmp_path_factory.mktemp("mixed")
    folder = root / "folder"
    folder.mkdir()
    with tarfile.open(root / "shard.tar", "w") as tar:
        for name, data in mixed_files().items():
            (folder / name).write_bytes(data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return folder, root / "shard.tar"


def member(path: str) -> str:
    """`a.jpg` from `/x/folder/a.jpg` or `s3a://b/shard.tar:a.jpg`."""
    return re.split(r"[/:]", path)[-1]


def assert_one_answer_per_image(decisions: list) -> None:
    dicts = [d if isinstance(d, dict) else d.to_dict() for d in decisions]
    names = Counter(member(d["path"]) for d in dicts)
    assert names == Counter(list(IMAGES)), names  # each image once, no caption
    for d in dicts:
        state, reason = IMAGES[member(d["path"])]
        assert d["state"] == state, d
        assert d["reason"].startswith(reason) if reason.endswith(": ") else d["reason"] == reason, d
        assert d["decision"] == "unknown" and d["usable"] is False, d
        assert list(d) == DECISION_FIELDS


def test_decide_tree_answers_every_image_in_a_folder(mixed):
    folder, _ = mixed
    it = ccsig.decide_tree(folder)
    decisions = list(it)
    assert_one_answer_per_image(decisions)
    assert sorted(it.skipped) == [(str(folder / c), "not an image") for c in sorted(CAPTIONS)]


def test_decide_tree_answers_every_image_in_a_shard(mixed):
    _, shard = mixed
    it = ccsig.decide_tree(shard)
    decisions = list(it)
    assert all(d.path.startswith(f"{shard}:") for d in decisions)
    assert_one_answer_per_image(decisions)
    assert sorted(it.skipped) == [(f"{shard}:{c}", "not an image") for c in sorted(CAPTIONS)]


def test_decide_listed_answers_every_image_of_a_shard_and_of_loose_files(mixed):
    folder, shard = mixed
    decisions = ccsig.decide_listed("s3a://bucket/shard.tar", shard.read_bytes())
    assert all(d.path.startswith("s3a://bucket/shard.tar:") for d in decisions)
    assert_one_answer_per_image(decisions)
    loose = [d for name, data in mixed_files().items() for d in ccsig.decide_listed(f"s3a://bucket/{name}", data)]
    assert_one_answer_per_image(loose)
    # The same answers as decide_tree() on the folder...
    in_folder = {member(d.path): d.to_dict() for d in ccsig.decide_tree(folder)}
    assert {member(d.path): {**d.to_dict(), "path": None} for d in loose} == {
        name: {**d, "path": None} for name, d in in_folder.items()
    }
    # ...and as decide() on each file's bytes, but for the name of a
    # TIFF-based RAW, which only its file name tells.
    for d in loose:
        alone = ccsig.decide(mixed_files()[member(d.path)], on_error="unknown").to_dict()
        if d.path.endswith(".nef"):
            # Its bytes alone: a TIFF with an empty IFD0; named .nef: a RAW.
            assert alone["state"] == "unreadable", alone
            assert alone["reason"].startswith("unreadable: malformed TIFF"), alone
            alone["reason"], alone["state"] = d.reason, d.state
        assert {**alone, "path": d.path} == d.to_dict()


def test_a_file_given_directly_is_answered_as_in_a_folder(mixed, tmp_path: Path):
    folder, _ = mixed
    (tmp_path / "fake.heic").write_bytes(b"not a HEIF file at all")
    in_folder = {member(d.path): d.to_dict() for d in ccsig.decide_tree([folder, tmp_path])}
    for path in [folder / name for name in IMAGES] + [tmp_path / "fake.heic"]:
        [alone] = ccsig.decide_tree(path)
        assert alone.to_dict() == in_folder[path.name], path
        assert ccsig.decide(path, on_error="unknown").to_dict() == in_folder[path.name], path


def test_the_cli_gives_the_same_answers(mixed, cli: Path):
    folder, shard = mixed
    for root in (folder, shard):
        expected = run_decide(cli, str(root), "--use", "train-ai")
        assert_one_answer_per_image(expected)
        ours = [d.to_dict() for d in ccsig.decide_tree(root, use="train-ai")]
        assert ours == expected
        assert {r["path"]: (r["decision"], r["state"]) for r in expected} == {
            d["path"]: (d["decision"], d["state"]) for d in ours
        }


def test_decide_raises_for_what_it_cannot_read_unless_asked_not_to(mixed):
    folder, _ = mixed
    for name, (state, reason) in IMAGES.items():
        if state == "no-signal":
            continue
        with pytest.raises(ccsig.UnreadableImage) as e:
            ccsig.decide(folder / name)
        kind = {"unsupported": "unsupported_format"}.get(state, "malformed" if name.endswith(".tif") else "truncated")
        assert e.value.kind == kind
        d = ccsig.decide(folder / name, on_error="unknown")
        assert (d.decision, d.state, d.usable) == ("unknown", state, False)


# --- 3. unknown is not unreadable ---------------------------------------------


@pytest.mark.parametrize(
    "unknown, unreadable, usable",
    [
        ("deny", "deny", set()),
        ("allow", "deny", {"a.jpg"}),
        ("deny", "allow", {"x.heic", "t.tif", "n.nef", "f.raf", "p.png"}),
        ("allow", "allow", set(IMAGES)),
    ],
)
def test_policies(mixed, cli: Path, unknown: str, unreadable: str, usable: set):
    folder, shard = mixed
    policy = {"unknown": unknown, "unreadable": unreadable}
    from_tree = {member(d.path): d for d in ccsig.decide_tree(folder, **policy)}
    assert {n for n, d in from_tree.items() if d.usable} == usable
    assert {d.decision for d in from_tree.values()} == {"unknown"}  # the policy changes usable only
    listed = ccsig.decide_listed("shard.tar", shard.read_bytes(), **policy)
    assert {member(d.path) for d in listed if d.usable} == usable
    for name, data in mixed_files().items():
        if name in IMAGES:
            assert ccsig.decide(data, on_error="unknown", **policy).usable == (name in usable), name
    cli_usable = run_decide(cli, str(folder), "--use", "train-ai", "--unknown", unknown, "--unreadable", unreadable)
    assert {member(r["path"]) for r in cli_usable if r["usable"]} == usable


def test_policies_never_open_a_stated_no():
    no = ccsig.apply_bytes(PLAIN_JPG.read_bytes(), expression="train-ai=n")
    d = ccsig.decide(no, unknown="allow", unreadable="allow", we_give="credit,direct-contribution,ecosystem-contribution,open")
    assert (d.decision, d.usable, d.state) == ("disallowed", False, "stated")


# --- 4. what is owed ------------------------------------------------------------

CR_DEFINITION = "https://github.com/creativecommons/cc-signals/blob/main/signals/cr/0.1/README.md"
CR_OP_DEFINITION = "https://github.com/creativecommons/cc-signals/blob/main/signals/cr-op/0.1/README.md"


def test_credit_owed_to_nobody_named_says_where_it_looked():
    d = ccsig.decide(CR_PNG, we_give="credit")
    assert (d.decision, d.usable, d.state) == ("allowed-with-terms", True, "stated")
    assert d.credit_missing is True
    assert (d.credit_name, d.credit_url) == (None, None)
    assert "XMP dc:creator" in d.credit_looked_at
    assert d.credit_looked_at[0] == "XMP ccsig:creditName"
    assert len(d.owed) == 1
    [owed] = d.owed
    assert (owed["element"], owed["signals"], owed["definition"]) == ("credit", ["cc-cr"], CR_DEFINITION)
    assert owed["requirement"] and "\n" not in owed["requirement"]
    assert list(owed) == ["element", "requirement", "signals", "definition"]
    assert "credit_missing=True" in repr(d)


def test_credit_owed_to_someone_named():
    d = ccsig.decide(NAMED_CR, we_give="credit")
    assert (d.decision, d.credit_name, d.credit_url) == ("allowed-with-terms", "Ada Example", None)
    assert (d.credit_missing, d.credit_looked_at) == (False, [])
    assert [o["element"] for o in d.owed] == ["credit"]


def test_credit_and_open_owed_under_cc_cr_op():
    s = ccsig.read(CR_OP)
    assert (s.credit_name, s.credit_url) == ("Ada Example", "https://example.org/ada")
    d = ccsig.decide(CR_OP, we_give="credit,open")
    assert (d.decision, d.usable, d.met_signals, d.unmet_signals) == ("allowed-with-terms", True, ["cc-cr-op"], [])
    assert [o["element"] for o in d.owed] == ["credit", "open"]
    assert all(o["signals"] == ["cc-cr-op"] and o["definition"] == CR_OP_DEFINITION for o in d.owed)
    assert (d.credit_name, d.credit_url, d.credit_missing) == ("Ada Example", "https://example.org/ada", False)
    r = repr(d)
    assert r.startswith(f"Decision(path={str(CR_OP)!r}, decision='allowed-with-terms', usable=True, state='stated'")
    assert "credit_name='Ada Example'" in r and "credit_url='https://example.org/ada'" in r


def test_unmet_terms_owe_nothing():
    d = ccsig.decide(CR_OP, we_give="credit")
    assert (d.decision, d.usable, d.unmet_signals, d.met_signals) == ("disallowed", False, ["cc-cr-op"], [])
    assert (d.owed, d.credit_name, d.credit_missing, d.credit_looked_at) == ([], None, False, [])
    assert "open" in d.reason
    # Nothing owed when nothing is given, either: no credit is "missing".
    d = ccsig.decide(CR_PNG)
    assert (d.decision, d.owed, d.credit_missing) == ("disallowed", [], False)


def test_credit_missing_follows_what_was_written():
    data = PLAIN_JPG.read_bytes()
    unnamed = ccsig.decide(ccsig.apply_bytes(data, signal="cc-cr-dc"), we_give="credit,direct-contribution")
    assert unnamed.credit_missing and [o["element"] for o in unnamed.owed] == ["credit", "direct-contribution"]
    named = ccsig.decide(
        ccsig.apply_bytes(data, signal="cc-cr-dc", credit_name="Bo", credit_url="https://example.org/bo"),
        we_give="credit,direct-contribution",
    )
    assert (named.credit_missing, named.credit_name, named.credit_url) == (False, "Bo", "https://example.org/bo")


def test_decisions_can_be_made_from_many_threads_with_bad_arguments_mixed_in():
    """A bad argument in one thread does not disturb the others."""
    errors: list[Optional[BaseException]] = []
    good: list[str] = []

    def work(n: int) -> None:
        try:
            if n % 2:
                ccsig.decide(CR_OP, use="train_ai")
            else:
                good.append(ccsig.decide(CR_OP, we_give="credit,open").decision)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert good == ["allowed-with-terms"] * 8
    assert len(errors) == 8 and all(isinstance(e, ccsig.InvalidArgument) for e in errors)
