"""Preferences around a file: the HTTP response's Content-Usage and
X-Robots-Tag, the site's robots.txt, in the same decision as the file's
own signals (draft-ietf-aipref-attach)."""

from pathlib import Path

import pytest

import ccsig

SAMPLES = Path(__file__).resolve().parents[2] / "sample-images"
TAGGED = (SAMPLES / "tagged" / "ccsig-cr.png").read_bytes()
PLAIN = (SAMPLES / "jpeg" / "plain.jpg").read_bytes()


def test_a_header_no_beats_the_files_yes_and_is_named():
    assert ccsig.decide(TAGGED, we_give=["credit"]).usable
    d = ccsig.decide(
        TAGGED,
        we_give=["credit"],
        headers={"X-Robots-Tag": "noai", "Content-Type": "image/png"},
    )
    assert not d.usable
    assert d.decision == "disallowed"
    assert "HTTP X-Robots-Tag noai" in d.sources


def test_headers_as_pairs_and_addressed_directives():
    pairs = [("X-Robots-Tag", "img2dataset: noimageai"), ("x-robots-tag", "otherbot: noai")]
    assert not ccsig.decide(TAGGED, we_give=["credit"], headers=pairs, user_agent="img2dataset/1.4").usable
    assert ccsig.decide(TAGGED, we_give=["credit"], headers=pairs, user_agent="ccsig").usable


def test_robots_rules_by_path_and_agent():
    robots = "User-agent: *\nContent-Usage: /archive/ train-ai=n\n"
    d = ccsig.decide(PLAIN, robots=robots, url="https://example.org/archive/a.jpg", unknown="allow")
    assert d.decision == "disallowed"
    assert d.sources == ["robots.txt line 2"]
    d = ccsig.decide(PLAIN, robots=robots, url="https://example.org/new/a.jpg", unknown="allow")
    assert d.usable and d.state == "no-signal"


def test_a_no_around_an_unreadable_file_decides_it():
    with pytest.raises(ccsig.UnreadableImage):
        ccsig.decide(b"\xff\xd8\xff cut")
    d = ccsig.decide(b"\xff\xd8\xff cut", headers={"Content-Usage": "train-ai=n"})
    assert d.decision == "disallowed"
    assert "could not be read" in d.reason
    # A yes around it does not make it readable.
    d = ccsig.decide(b"\xff\xd8\xff cut", headers={"Content-Usage": "train-ai=y"}, on_error="unknown")
    assert not d.usable and d.state == "unreadable"


def test_parse_header_and_parse_robots_expose_the_parsing():
    found = ccsig.parse_header({"Content-Usage": "train-ai=maybe", "X-Robots-Tag": "noindex, noai"})
    assert [f["field"] for f in found] == [
        "HTTP Content-Usage",
        "HTTP X-Robots-Tag noindex",
        "HTTP X-Robots-Tag noai",
    ]
    assert found[1]["expression"] == "search=n"
    rules = ccsig.parse_robots(
        "User-agent: a\nUser-agent: b\nContent-Usage: train-ai=n;exceptions=cc-cr\n",
        url="https://e.org/x",
        user_agent="B/2.0",
    )
    assert [(r["field"], r["expression"], r["parsed"]) for r in rules] == [
        ("robots.txt line 3", "train-ai=n;exceptions=cc-cr", True)
    ]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Usage": "(("}, {"X-Robots-Tag": ":::"}, [("Content-Usage", "")], {}],
)
def test_malformed_headers_are_never_a_crash(headers):
    d = ccsig.decide(PLAIN, headers=headers, robots="User-agent\n:\nContent-Usage: /*$ ((", url="::")
    assert d.decision == "unknown"


@pytest.mark.parametrize("headers", [[("only-a-name",)], 42, {"Content-Usage": 7}])
def test_bad_header_shapes_are_invalid_arguments(headers):
    with pytest.raises(ccsig.InvalidArgument, match="headers:"):
        ccsig.decide(PLAIN, headers=headers)


def fetcher(data, log):
    def fetch(offset, length):
        log.append((offset, length))
        return data[offset : offset + length]

    return fetch


@pytest.mark.parametrize("name", ["tagged/ccsig-cr-op.jpg", "tagged/ccsig-cr.png", "tagged/ccsig-ec.webp", "jxl/from-jpeg.jxl", "heif/exiftool-xmp.heic", "tiff/exiftool-xmp.tif"])
@pytest.mark.parametrize("size_known", [True, False])
def test_ranged_reads_answer_as_whole_reads(name, size_known):
    data = (SAMPLES / name).read_bytes()
    log = []
    size = len(data) if size_known else None
    ranged = ccsig.read_ranged(fetcher(data, log), size)
    whole = ccsig.read(data)
    assert ranged.decisions == whole.decisions
    assert ranged.sources == whole.sources
    assert log, "something was fetched"
    d = ccsig.decide_ranged(fetcher(data, []), size, we_give=["credit"], url="https://e.org/" + name)
    assert d.decision == ccsig.decide(data, we_give=["credit"]).decision
    assert d.path == "https://e.org/" + name


def test_a_big_jpeg_costs_two_small_fetches_in_one_round_trip():
    data = bytearray((SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes())
    data[-2:-2] = bytes(4 << 20)  # 4 MiB more image data before EOI
    data = bytes(data)
    log = []
    ccsig.read_ranged(fetcher(data, log), len(data))
    assert len(log) == 2
    assert sum(n for _, n in log) < len(data) // 50
    # Given fetch_many, the head and the tail come in one call.
    many, single = [], []

    def fetch_many(ranges):
        many.append(list(ranges))
        return [data[o : o + n] for o, n in ranges]

    d = ccsig.decide_ranged(fetcher(data, single), len(data), fetch_many=fetch_many, we_give=["credit"])
    assert (len(many), len(many[0]), single) == (1, 2, [])
    assert many[0][0] == (0, 65536) and many[0][1] == (len(data) - 4096, 4096)
    assert d.decision == ccsig.decide(data, we_give=["credit"]).decision


def test_a_fetch_many_that_answers_wrong_is_retried_then_an_error():
    data = (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes() + bytes(100_000)
    with pytest.raises(ccsig.AccessError, match="2 ranges"):
        ccsig.read_ranged(fetcher(data, []), len(data), fetch_many=lambda ranges: [b""])


def test_failing_fetches_raise_after_retries_and_damaged_files_are_unreadable():
    calls = []

    def broken(offset, length):
        calls.append(offset)
        raise OSError("connection reset")

    with pytest.raises(ccsig.AccessError, match="connection reset"):
        ccsig.read_ranged(broken, 100_000)
    # The first step asks for the head and the tail; it is retried.
    assert 2 <= len(calls) <= 8
    cut = (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes()[:3000]
    with pytest.raises(ccsig.UnreadableImage):
        ccsig.read_ranged(fetcher(cut, []), len(cut))
    d = ccsig.decide_ranged(fetcher(cut, []), len(cut), headers={"X-Robots-Tag": "noai"})
    assert d.decision == "disallowed"


def test_a_ranged_read_names_a_camera_raw_by_its_url():
    tiff = (SAMPLES / "tiff" / "exiftool-xmp.tif").read_bytes()
    as_tiff = ccsig.decide_ranged(fetcher(tiff, []), len(tiff), url="https://e.org/a.tif")
    assert as_tiff.state != "unsupported"
    # The same bytes under a RAW's name, query and all: what decide says of
    # that RAW read without its sidecars.
    url = "https://e.org/DSC_0001.NEF?size=full"
    with pytest.raises(ccsig.UnreadableImage, match="Nikon NEF"):
        ccsig.decide_ranged(fetcher(tiff, []), len(tiff), url=url)
    d = ccsig.decide_ranged(fetcher(tiff, []), len(tiff), url=url, on_error="unknown")
    assert (d.state, d.usable, d.path) == ("unsupported", False, url)
