"""decide_tree over folders and tar shards, decide_listed on files held in
memory, and their agreement with each other and with decide()."""

from __future__ import annotations

import gzip
import os
import signal
import shutil
import tarfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import ccsig
from conftest import SAMPLES
from dataset import add_member, write_files, write_shards

WE_GIVE = ["credit", "open"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    return write_shards(tmp_path_factory.mktemp("shards"), 300, 2)


def members_of(shard: Path) -> dict[str, bytes]:
    with tarfile.open(shard) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_decide_tree_reads_every_image_member_of_every_shard(shards):
    it = ccsig.decide_tree(shards[0].parent, use="train-ai", we_give=WE_GIVE)
    got = {d.path: d for d in it}
    expected_images = {
        f"{shard}:{name}"
        for shard in shards
        for name in members_of(shard)
        if not name.endswith(".json")
    }
    assert set(got) == expected_images
    # Captions are passed over, and said to be.
    assert {p for p, reason in it.skipped} == {
        f"{shard}:{name}" for shard in shards for name in members_of(shard) if name.endswith(".json")
    }
    assert {reason for _, reason in it.skipped} == {"not an image"}
    counts = Counter(d.decision for d in got.values())
    assert set(counts) == {"allowed", "allowed-with-terms", "disallowed", "unknown"}


def test_each_shard_member_decides_as_decide_does_on_its_bytes(shards):
    for d in ccsig.decide_tree(shards, we_give=WE_GIVE, unknown="allow"):
        shard, member = d.path.rsplit(":", 1)
        data = members_of(Path(shard))[member]
        alone = ccsig.decide(data, we_give=WE_GIVE, unknown="allow", on_error="unknown")
        assert {**d.to_dict(), "path": None} == alone.to_dict(), d.path


def test_damaged_member_is_unknown_with_the_reason(shards):
    damaged = [d for d in ccsig.decide_tree(shards) if "damaged" in d.path]
    assert len(damaged) == len(shards)
    for d in damaged:
        assert d.decision == "unknown" and not d.usable and d.state == "unreadable"
        assert d.reason.startswith("unreadable: file is truncated")


def test_decide_tree_on_folders_matches_decide_on_paths(tmp_path):
    files = write_files(tmp_path / "f", 60)
    shutil.copyfile(SAMPLES / "bad" / "truncated.jpg", tmp_path / "f" / "broken.jpg")
    it = ccsig.decide_tree([str(tmp_path / "f")], we_give=["credit"], jobs=2)
    got = {d.path: d.to_dict() for d in it}
    assert set(got) == {str(p) for p in files} | {str(tmp_path / "f" / "broken.jpg")}
    for p in files:
        assert got[str(p)] == ccsig.decide(p, we_give=["credit"]).to_dict()
    assert got[str(tmp_path / "f" / "broken.jpg")]["decision"] == "unknown"
    assert got[str(tmp_path / "f" / "broken.jpg")]["state"] == "unreadable"
    assert len(it.skipped) == 60  # the JSON captions


def test_decide_listed_matches_decide_tree(shards, tmp_path):
    from_tree = {d.path: d.to_dict() for d in ccsig.decide_tree(shards, we_give=["credit"])}
    listed = {}
    for shard in shards:
        for d in ccsig.decide_listed(str(shard), shard.read_bytes(), we_give=["credit"]):
            listed[d.path] = d.to_dict()
    assert listed == from_tree
    # Loose files: an image, a caption, a damaged image, a GIF.
    image = SAMPLES / "tagged" / "ccsig-cr-op.jpg"
    [d] = ccsig.decide_listed("s3a://b/x.jpg", image.read_bytes(), we_give=WE_GIVE)
    assert (d.path, d.decision, d.state) == ("s3a://b/x.jpg", "allowed-with-terms", "stated")
    assert ccsig.decide_listed("s3a://b/x.json", b'{"a": 1}') == []
    [bad] = ccsig.decide_listed("x.png", b"not a png")
    assert bad.decision == "unknown" and bad.state == "unreadable" and bad.reason.startswith("unreadable")
    # A GIF is an image ccsig does not read: it gets a decision, not silence.
    [gif] = ccsig.decide_listed("s3a://b/x.gif", (SAMPLES / "bad" / "unsupported.gif").read_bytes())
    assert (gif.path, gif.decision, gif.usable, gif.state, gif.reason) == (
        "s3a://b/x.gif", "unknown", False, "unsupported", "unsupported format: GIF",
    )  # fmt: skip


def test_decide_listed_reads_gzip_shards_and_shards_by_their_bytes(shards, tmp_path):
    data = shards[0].read_bytes()
    plain = [d.to_dict() for d in ccsig.decide_listed("s.tar", data)]
    gz = [d.to_dict() for d in ccsig.decide_listed("s.tar.gz", gzip.compress(data))]
    by_magic = [d.to_dict() for d in ccsig.decide_listed("s", data)]
    strip = lambda ds, n: [{**d, "path": d["path"][len(n) + 1 :]} for d in ds]  # noqa: E731
    assert strip(plain, "s.tar") == strip(gz, "s.tar.gz") == strip(by_magic, "s")
    assert len(plain) > 100


def test_truncated_shard_reports_what_it_could_then_the_damage(shards, tmp_path):
    data = shards[0].read_bytes()
    cut = data[: len(data) // 2]
    ds = ccsig.decide_listed("cut.tar", cut)
    assert 10 < len(ds) < 150
    assert ds[-1].decision == "unknown"
    assert "unreadable" in ds[-1].reason
    (tmp_path / "cut.tar").write_bytes(cut)
    from_tree = [d.to_dict() for d in ccsig.decide_tree(tmp_path / "cut.tar")]
    assert [d["path"].rsplit("/", 1)[-1] for d in from_tree] == [d.path for d in ds]


def test_hidden_and_excluded_members(tmp_path):
    shard = tmp_path / "h.tar"
    jpeg = (SAMPLES / "jpeg" / "plain.jpg").read_bytes()
    with tarfile.open(shard, "w") as tar:
        add_member(tar, "a.jpg", jpeg)
        add_member(tar, "._a.jpg", b"\x00\x05\x16\x07")
        add_member(tar, "b.jpg", jpeg)
    names = lambda ds: [d.path.split(":")[-1] for d in ds]  # noqa: E731
    assert names(ccsig.decide_tree(shard)) == ["a.jpg", "b.jpg"]
    assert names(ccsig.decide_tree(shard, exclude=["*b.jpg"])) == ["a.jpg"]
    assert names(ccsig.decide_listed("h.tar", shard.read_bytes(), hidden=True)) == ["a.jpg", "._a.jpg", "b.jpg"]


def test_decide_tree_bad_arguments():
    with pytest.raises(ccsig.InvalidArgument, match="exclude"):
        ccsig.decide_tree(SAMPLES, exclude=["["])
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.decide_tree(SAMPLES, we_give=["money"])
    with pytest.raises(ccsig.InvalidArgument, match="roots"):
        ccsig.decide_tree(42)  # type: ignore[arg-type]
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.decide_listed("a.jpg", "not bytes")  # type: ignore[arg-type]


def test_missing_root_is_an_unknown_decision(tmp_path):
    [d] = list(ccsig.decide_tree(tmp_path / "missing"))
    assert d.decision == "unknown" and d.reason.startswith("unreadable")


def walk_threads() -> int:
    """Threads named by decide_tree that are alive (Linux names them in /proc)."""
    alive = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            alive += (task / "comm").read_text().startswith("ccsig-decide")
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended between the listing and the read (ENOENT or ESRCH)
    return alive


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_dropping_or_cancelling_the_iterator_stops_the_walk(shards):
    it = ccsig.decide_tree(shards, buffer=4)
    assert next(it).path
    it.cancel()
    rest = list(it)
    assert len(rest) < 290  # stopped early (a few in flight may still come)
    for _ in range(20):  # abandoned iterators must not leave walks blocked
        it = ccsig.decide_tree(shards, buffer=1)
        next(it)
        del it
    deadline = time.monotonic() + 10
    while walk_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert walk_threads() == 0


def test_the_gil_is_released_while_rust_reads(tmp_path):
    """A Python thread runs during one long call (a 3000-image shard)."""
    [shard] = write_shards(tmp_path, 3000, 1, damaged=False)
    data = shard.read_bytes()
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0)

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks
        started = time.perf_counter()
        decisions = ccsig.decide_listed("s.tar", data)
        during = ticks - before
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        t.join()
    assert len(decisions) == 3000
    # Holding the GIL for the whole call would allow no tick at all.
    assert during > 20, (during, elapsed)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_ctrl_c_interrupts_a_waiting_iterator(tmp_path, request):
    """A root that blocks (a FIFO nobody writes) keeps next() waiting in
    Rust; Ctrl-C must still reach Python promptly."""
    import _thread

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # interrupt_main() does nothing where SIGINT is ignored (a test run
    # started in the background): the test sets Python's own handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    threading.Timer(0.3, _thread.interrupt_main).start()
    it = ccsig.decide_tree(fifo)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        next(it)
    assert time.monotonic() - started < 5
    it.cancel()
    del it
    # Let the walk's open() return, if it got that far: a blocking open for
    # writing would wait forever when the cancelled walk never opened it
    # (as on a loaded machine); a non-blocking one fails at once then.
    for _ in range(50):
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            break
        except OSError:
            time.sleep(0.1)
