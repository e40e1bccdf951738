"""StreamDecider decides while an image downloads, from its bytes in order,
with the same decision `decide` gives for the whole file; `decide_listed`
streams a shard from a file object."""

from __future__ import annotations

import io
import tarfile

import pytest

import ccsig
from conftest import SAMPLES, sample_files

JPEG = (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes()
# The same JPEG with 4 MiB more of image data: its metadata ends in the
# first chunk.
BIG_JPEG = JPEG[:-2] + b"\x55" * (4 << 20) + JPEG[-2:]
PNG = (SAMPLES / "png" / "xmp-after-idat.png").read_bytes()


def streamed(data: bytes, chunk: int, **kw):
    """(the early decision or None, bytes fed when it came, the end's)."""
    d = ccsig.StreamDecider(**kw)
    early, at = None, None
    for i in range(0, len(data), chunk):
        got = d.feed(data[i : i + chunk])
        if got is not None and early is None:
            early, at = got, d.received
    return early, at, d.finish()


def key(d: ccsig.Decision):
    return (d.decision, d.usable, d.state, d.met_signals, d.unmet_signals, d.credit_name, d.sources)


@pytest.mark.parametrize("sized", [True, False])
def test_every_sample_streams_to_the_decision_of_the_whole_file(sized):
    compared = 0
    for path in sample_files():
        data = path.read_bytes()
        try:
            whole = ccsig.decide(data, we_give=["credit"], on_error="unknown")
        except ccsig.CcsigError:
            continue
        size = len(data) if sized else None
        early, _, end = streamed(data, 4096, size=size, we_give=["credit"], on_error="unknown")
        assert key(end) == key(whole), path
        if early is not None and whole.state != "unreadable":
            assert key(early) == key(whole), path
        compared += 1
    assert compared > 50


def test_a_jpeg_is_decided_in_its_first_chunk_and_its_end_is_checked():
    early, at, end = streamed(BIG_JPEG, 65536, we_give=["credit"])
    assert at == 65536
    assert key(early) == key(end) == key(ccsig.decide(BIG_JPEG, we_give=["credit"]))
    # Cut short after the early decision: unreadable at the end.
    d = ccsig.StreamDecider(we_give=["credit"])
    assert d.feed(BIG_JPEG[: 1 << 20]) is not None
    with pytest.raises(ccsig.UnreadableImage, match="end-of-image"):
        d.finish()
    d = ccsig.StreamDecider(we_give=["credit"], size=len(BIG_JPEG), on_error="unknown")
    d.feed(BIG_JPEG[: 1 << 20])
    end = d.finish()
    assert end.state == "unreadable" and not end.usable
    assert "ended after 1048576 bytes" in end.reason


def test_a_png_waits_for_the_end_and_says_so():
    d = ccsig.StreamDecider(size=len(PNG))
    assert d.feed(PNG[:-1]) is None
    assert "PNG" in d.waiting
    assert d.feed(PNG[-1:]) is None
    assert key(d.finish()) == key(ccsig.decide(PNG))
    assert d.waiting is None


def test_a_no_in_the_headers_decides_before_any_byte():
    d = ccsig.StreamDecider(headers={"Content-Usage": "train-ai=n"}, url="https://e.org/a.jpg")
    first = d.feed(b"")
    assert first.decision == "disallowed" and first.path == "https://e.org/a.jpg"
    assert first.sources == ["HTTP Content-Usage"]
    assert d.finish().decision == "disallowed"
    # A robots.txt rule for the path does the same.
    robots = "User-agent: *\nContent-Usage: /private/ train-ai=n\n"
    d = ccsig.StreamDecider(robots=robots, url="https://e.org/private/a.jpg")
    assert d.feed(b"").sources == ["robots.txt line 2"]
    # A yes around the file leaves the file its say.
    d = ccsig.StreamDecider(headers={"Content-Usage": "train-ai=y"}, we_give=["credit"])
    assert d.feed(b"") is None
    assert d.feed(JPEG).decision == ccsig.decide(JPEG, we_give=["credit"]).decision


def test_an_early_error_is_final_and_raised_again():
    d = ccsig.StreamDecider()
    with pytest.raises(ccsig.UnreadableImage):
        d.feed(b"\xff\xd8\xff\x02 not a jpeg" + b"\0" * 100)
    with pytest.raises(ccsig.UnreadableImage):
        d.feed(b"more")
    with pytest.raises(ccsig.UnreadableImage):
        d.finish()
    d = ccsig.StreamDecider(on_error="unknown")
    got = d.feed(b"\xff\xd8\xff\x02 not a jpeg" + b"\0" * 100)
    assert got.state == "unreadable" and not got.usable


def test_arguments_are_checked_and_a_finished_stream_takes_nothing():
    with pytest.raises(ccsig.InvalidArgument, match="train-ai"):
        ccsig.StreamDecider(use="train_ai")
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.StreamDecider(on_error="ignore")
    d = ccsig.StreamDecider()
    d.feed(JPEG)
    d.finish()
    with pytest.raises(ccsig.InvalidArgument, match="after finish"):
        d.feed(b"x")
    with pytest.raises(TypeError):
        ccsig.StreamDecider().feed("text, not bytes")


def shard(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_decide_listed_streams_a_shard_from_a_file_object():
    data = shard({"0001.jpg": BIG_JPEG, "0001.json": b"{}", "0002.png": PNG, "0003.jpg": JPEG[:500]})
    from_bytes = ccsig.decide_listed("s.tar", data, we_give=["credit"])
    from_file = ccsig.decide_listed("s.tar", io.BytesIO(data), we_give=["credit"])
    assert [(d.path, key(d)) for d in from_file] == [(d.path, key(d)) for d in from_bytes]
    assert [d.path for d in from_file] == ["s.tar:0001.jpg", "s.tar:0002.png", "s.tar:0003.jpg"]
    assert from_file[2].state == "unreadable"
    # Recognised by its first block without the name, and an image alone.
    assert len(ccsig.decide_listed("noname", io.BytesIO(data))) == 3
    (one,) = ccsig.decide_listed("a.jpg", io.BytesIO(JPEG), we_give=["credit"])
    assert key(one) == key(ccsig.decide(JPEG, we_give=["credit"]))


def test_a_file_object_that_fails_is_the_files_error_not_a_crash():
    class Broken(io.RawIOBase):
        def read(self, n=-1):
            raise OSError("connection reset")

    (d,) = ccsig.decide_listed("a.jpg", Broken())
    assert d.state == "unreadable" and "connection reset" in d.reason

    class Text:
        def read(self, n=-1):
            return "text"

    (d,) = ccsig.decide_listed("a.jpg", Text())
    assert d.state == "unreadable" and "not bytes" in d.reason
