"""examples/download_decide.py against a real nginx on 127.0.0.1: every
downloaded image gets the decision a read of the whole file (with the
response's fields and the site's robots.txt) gives, a "no" stops the
download, Range requests fetch a few kilobytes, and a failed fetch is never
permission. nginx runs as the current user from a config written here."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import ccsig
from conftest import REPO, SAMPLES

EXAMPLE = REPO / "examples" / "download_decide.py"
UA = "ccsig-test-bot"
ROBOTS = "User-agent: *\nContent-Usage: /private/ train-ai=n\n"
#: A JPEG whose own XMP says train-ai=n except under cc-cr-op, with 4 MiB
#: more of image data: its metadata all comes before the first scan.
SMALL_JPEG = (SAMPLES / "tagged" / "ccsig-cr-op.jpg").read_bytes()
BIG_JPEG = SMALL_JPEG[:-2] + b"\x55" * (4 << 20) + SMALL_JPEG[-2:]


def padded_jpeg(size: int) -> bytes:
    return SMALL_JPEG[:-2] + b"\x55" * (size - len(SMALL_JPEG)) + SMALL_JPEG[-2:]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def big_png() -> bytes:
    """A PNG whose XMP follows its image data, with 40 private 8 KiB chunks
    before that: a ranged read walks on through several fetches."""
    png = (SAMPLES / "png" / "xmp-after-idat.png").read_bytes()
    ihdr_end = 8 + 12 + 13
    private = b"".join(png_chunk(b"prVt", bytes([i]) * 8192) for i in range(40))
    return png[:ihdr_end] + private + png[ihdr_end:]


def big_webp() -> bytes:
    """A WebP whose XMP chunk comes after a 300 KB unknown chunk."""
    webp = (SAMPLES / "tagged" / "ccsig-ec.webp").read_bytes()
    vp8x_end = 12 + 8 + 10
    pad = bytes(300_000)
    chunks = webp[12:vp8x_end] + b"PAD " + struct.pack("<I", len(pad)) + pad + webp[vp8x_end:]
    return b"RIFF" + struct.pack("<I", len(chunks) + 4) + b"WEBP" + chunks


#: What each location adds to the response (nginx `add_header`).
LOCATION_HEADERS = {
    "img": {},
    "noai": {"X-Robots-Tag": "noai"},
    "cu": {"Content-Usage": "train-ai=n"},
    "private": {},
    "norange": {},
    "onerange": {},
}
SERVED = {
    "img": [
        "tagged/ccsig-cr-op.jpg",
        "tagged/ccsig-cr.png",
        "tagged/ccsig-ec.webp",
        "tagged/conflict.jpg",
        "jpeg/plain.jpg",
        "jpeg/progressive.jpg",
        "png/xmp-after-idat.png",
        "webp/lossy.webp",
        "bad/truncated.jpg",
        "bad/zero.webp",
        "bad/unsupported.gif",
    ],
    "noai": ["tagged/ccsig-cr-op.jpg", "tagged/ccsig-cr.png"],
    "cu": ["tagged/ccsig-cr.png", "jpeg/plain.jpg"],
    "private": ["jpeg/plain.jpg", "tagged/ccsig-ec.webp"],
    "norange": ["tagged/ccsig-cr.png", "jpeg/plain.jpg"],
    "onerange": ["tagged/ccsig-cr.png", "jpeg/plain.jpg"],
}
#: The ranged mode's first request asks for the first 64 KiB and the last
#: 4 KiB; nginx sends a file no larger than that whole (200).
HEAD, TAIL = 64 * 1024, 4 * 1024
GENERATED = {"img/big.jpg": BIG_JPEG, "cu/big.jpg": BIG_JPEG, "private/big.jpg": BIG_JPEG,
             "norange/big.jpg": BIG_JPEG, "noai/big.jpg": BIG_JPEG, "onerange/big.jpg": BIG_JPEG,
             "img/big.png": big_png(), "img/big.webp": big_webp(),
             # One byte more than the two ranges: two parts, one byte apart.
             "img/edge.jpg": padded_jpeg(HEAD + TAIL + 1)}

NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 256; }}
http {{
    types {{ image/jpeg jpg; image/png png; image/webp webp; image/gif gif; text/plain txt; }}
    default_type application/octet-stream;
    log_format probe '$request_uri $status $body_bytes_sent $connection $connection_requests';
    access_log {tmp}/access.log probe;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    root {root};
    # /onerange/: a server that serves only the first of several ranges
    # (one part, not multipart): nginx in front of the second server with
    # the Range field cut to its first range.
    map $http_range $first_range {{ "~^(bytes=[0-9]*-[0-9]*)" $1; default ""; }}
    # A small send buffer, so that what nginx logs as sent is close to what
    # the client took, not what loopback's buffers would have swallowed.
    server {{
        listen 127.0.0.1:{port} sndbuf=64k;
        location /noai/ {{ add_header X-Robots-Tag noai; }}
        location /cu/ {{ add_header Content-Usage "train-ai=n"; }}
        location /norange/ {{ max_ranges 0; }}
        location /moved/ {{ rewrite ^/moved/(.*)$ /noai/$1 redirect; }}
        location /onerange/ {{
            proxy_pass http://127.0.0.1:{broken_port};
            proxy_set_header Range $first_range;
        }}
    }}
    # The same files from a site whose robots.txt fails.
    server {{
        listen 127.0.0.1:{broken_port};
        location = /robots.txt {{ return 500; }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        if os.environ.get("CCSIG_REQUIRE_TOOLS"):
            pytest.fail("nginx is not installed (bash .ci/run installs it)")
        pytest.skip("nginx is not installed (bash .ci/run installs it)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@dataclass
class Site:
    base: str  # http://127.0.0.1:PORT
    broken_base: str  # the same files, robots.txt answering 500
    root: Path
    access_log: Path

    def url(self, rel: str, broken: bool = False) -> str:
        return f"{self.broken_base if broken else self.base}/{rel}"

    def served(self, url: str) -> bytes:
        """The bytes of the file behind `url`."""
        return (self.root / urlsplit(url).path.lstrip("/")).read_bytes()

    def sent(self, uri: str, timeout: float = 5.0) -> list[int]:
        """$body_bytes_sent of every request for `uri` (query included);
        nginx logs a request when it ends, which for an abandoned download
        is when it notices the client left."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                int(parts[2])
                for parts in (line.split() for line in self.access_log.read_text().splitlines())
                if parts and parts[0] == uri
            ]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    nginx = nginx_binary()
    tmp = tmp_path_factory.mktemp("nginx")
    root = tmp / "root"
    for location, files in SERVED.items():
        (root / location).mkdir(parents=True)
        for rel in files:
            shutil.copy(SAMPLES / rel, root / location / Path(rel).name)
    for rel, data in GENERATED.items():
        (root / rel).write_bytes(data)
    (root / "robots.txt").write_text(ROBOTS)
    # A free port can be taken between the look and nginx's bind: try again.
    for _ in range(3):
        port, broken_port = free_port(), free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, root=root, port=port, broken_port=broken_port))
        proc = subprocess.Popen(
            [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            if listening(port) and listening(broken_port):
                break
            time.sleep(0.05)
        if proc.poll() is None and listening(port):
            break
        proc.kill()
        proc.wait()
    else:
        log = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
        pytest.fail(f"nginx did not start: {log}")
    try:
        yield Site(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{broken_port}", root,
                   tmp / "access.log")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def all_urls(site: Site) -> list[str]:
    urls = [site.url(f"{loc}/{Path(rel).name}") for loc, files in SERVED.items() for rel in files]
    urls += [site.url(rel) for rel in GENERATED]
    urls.append(site.url("img/ccsig-cr.png", broken=True))
    return urls


def run(tmp_path: Path, urls: list[str], *args: str) -> tuple[int, list[dict], str]:
    """Runs the example over `urls`: (exit code, records, stderr)."""
    listing = tmp_path / "urls.txt"
    listing.write_text("# a comment, then a blank line\n\n" + "\n".join(urls) + "\n")
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(listing), "--out", str(out), "--jobs", "4",
         "--user-agent", UA, "--timeout", "10", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return done.returncode, records, done.stderr


def expected(site: Site, url: str, **kw) -> ccsig.Decision:
    """What a read of the whole served file gives, with the fields its
    location adds and the site's robots.txt (none for the broken site)."""
    location = urlsplit(url).path.split("/")[1]
    broken = url.startswith(site.broken_base)
    return ccsig.decide(
        site.served(url),
        headers=LOCATION_HEADERS[location],
        robots=None if broken else ROBOTS,
        url=url,
        user_agent=UA,
        on_error="unknown",
        **kw,
    )


@pytest.mark.parametrize("mode", ["stream", "ranged", "whole"])
@pytest.mark.parametrize("we_give", ["", "credit,open"])
def test_every_url_gets_the_decision_of_the_whole_file(site, tmp_path, mode, we_give):
    urls = all_urls(site)
    code, records, stderr = run(tmp_path, urls, "--mode", mode, "--we-give", we_give)
    assert [r["url"] for r in records] == urls, stderr
    stopped = 0
    for r in records:
        want = expected(site, r["url"], we_give=we_give).to_dict()
        got = {k: r[k] for k in want}
        assert got.pop("path") == r["url"]
        want.pop("path")
        assert r["mode"] == mode
        if want["state"] == "unreadable":
            # A damaged file is never usable; a download stopped at a
            # settled "not usable" never saw the damage further on.
            assert not got["usable"] and got["decision"] in ("unknown", "disallowed"), r
            assert r["stopped_early"] or got["state"] == "unreadable", r
            stopped += r["stopped_early"]
        elif r["stopped_early"]:
            # Decided before the end: the same answer, from the statements
            # seen by then (all of them, or the "no" that settled it).
            stopped += 1
            for k in ("decision", "usable", "state"):
                assert got[k] == want[k], (r["url"], k, got, want)
            if mode == "ranged" and got["decision"] != "disallowed":
                # Range requests that did not stop at a "no" read every
                # statement: the whole file's answer, every field (a file
                # that states nothing included).
                assert got == want, r
            else:
                assert got["sources"] and set(got["sources"]) <= set(want["sources"]), r
                # Only a "no" stops a download.
                assert not got["usable"], r
        else:
            assert got == want, r["url"]
            if r["requests"] and mode != "ranged":
                assert r["bytes_fetched"] == r["size"] == len(site.served(r["url"]))
    # Both paths were taken: some downloads stopped, some read whole.
    assert 0 < stopped < len(records)
    # Damaged files are served on purpose: unreadable, so exit 1.
    assert code == 1, stderr


def test_a_disallowed_big_jpeg_is_not_downloaded(site, tmp_path):
    size = len(BIG_JPEG)
    uri = "/img/big.jpg?stream-no"
    code, (r,), _ = run(tmp_path, [site.base + uri])
    assert code == 0
    assert r["decision"] == "disallowed" and r["sources"][0].startswith("XMP ")
    assert r["stopped_early"] and r["size"] == size and r["requests"] == 1
    assert r["bytes_fetched"] <= 2 * 65536
    # nginx's own count: it sent far less than the file.
    (sent,) = site.sent(uri)
    assert sent < size / 4, sent

    # Ranged: the head and the tail in one multi-range request.
    uri = "/img/big.jpg?ranged-no"
    code, (r,), _ = run(tmp_path, [site.base + uri], "--mode", "ranged")
    assert r["decision"] == "disallowed" and r["http_status"] == 206
    assert r["requests"] == 1 and r["bytes_fetched"] <= 0.02 * size, r
    assert r["stopped_early"] and r["size"] == size
    # bytes_fetched is every body byte received (the parts' framing too):
    # nginx's own count of what it sent.
    assert r["bytes_fetched"] > HEAD + TAIL
    assert site.sent(uri) == [r["bytes_fetched"]]
    # Usable, from that one request too.
    code, (r,), _ = run(tmp_path, [site.url("img/big.jpg")], "--mode", "ranged",
                        "--we-give", "credit,open")
    assert r["usable"] and r["state"] == "stated" and r["requests"] == 1, r
    assert r["bytes_fetched"] <= 0.02 * size

    # A server that ignores Range answers 200: streamed, and stopped too.
    code, (r,), _ = run(tmp_path, [site.url("norange/big.jpg")], "--mode", "ranged")
    assert r["decision"] == "disallowed" and r["http_status"] == 200
    assert r["stopped_early"] and r["bytes_fetched"] <= 2 * 65536
    assert any("ignored Range" in n for n in r["notes"])

    # The same file, usable when the pipeline gives credit and openness:
    # read to the end, whole.
    uri = "/img/big.jpg?stream-yes"
    code, (r,), _ = run(tmp_path, [site.base + uri], "--we-give", "credit,open")
    assert r["usable"] and not r["stopped_early"]
    assert r["bytes_fetched"] == size
    assert site.sent(uri) == [size]


def test_a_no_around_the_image_is_named_and_stops_before_its_bytes(site, tmp_path):
    urls = [site.url("private/big.jpg"), site.url("cu/big.jpg"), site.url("noai/ccsig-cr.png"),
            site.url("img/ccsig-cr.png")]
    code, records, _ = run(tmp_path, urls, "--we-give", "credit,open", "--unknown", "allow")
    robots, content_usage, noai, plain = records
    assert code == 0
    # robots.txt: decided before the image is even requested.
    assert robots["decision"] == "disallowed"
    assert robots["sources"] == ["robots.txt line 2"]
    assert robots["requests"] == 0 and robots["bytes_fetched"] == 0
    # The response's fields: decided before any of its body is read.
    assert content_usage["decision"] == "disallowed"
    assert content_usage["sources"] == ["HTTP Content-Usage"]
    assert content_usage["requests"] == 1 and content_usage["bytes_fetched"] == 0
    assert noai["decision"] == "disallowed" and "HTTP X-Robots-Tag noai" in noai["sources"]
    # The same PNG without the header is usable: the header made the no.
    assert plain["usable"]


@pytest.mark.parametrize("name", ["ccsig-cr.png", "big.jpg"])
@pytest.mark.parametrize("mode", ["stream", "ranged"])
def test_a_redirect_is_followed_and_the_final_answer_decides(site, tmp_path, mode, name):
    code, (r,), _ = run(tmp_path, [site.url(f"moved/{name}")], "--mode", mode,
                        "--we-give", "credit")
    # The X-Robots-Tag of the answer redirected to, not of the redirect.
    assert r["path"] == site.url(f"noai/{name}") and r["requests"] == 2
    assert r["decision"] == "disallowed" and "HTTP X-Robots-Tag noai" in r["sources"]
    # The status of the answer redirected to; nginx sends a file no larger
    # than the two ranges whole.
    big = len(site.served(r["path"])) > HEAD + TAIL
    assert r["http_status"] == (206 if mode == "ranged" and big else 200)


def test_a_robots_txt_that_fails_is_noted_not_fatal(site, tmp_path):
    url = site.url("private/plain.jpg", broken=True)
    code, (r,), _ = run(tmp_path, [url], "--unknown", "allow")
    # No rules from the failed robots.txt, and the record says why.
    assert code == 0 and r["usable"] and r["state"] == "no-signal"
    assert any("robots.txt" in n and "500" in n for n in r["notes"]), r["notes"]


@pytest.mark.parametrize("mode", ["stream", "ranged"])
def test_a_failed_fetch_is_never_permission(site, tmp_path, mode):
    refused = f"http://127.0.0.1:{free_port()}/img/plain.jpg"
    good = site.url("img/plain.jpg")
    # --unknown allow: a file that states nothing would be usable, so only
    # the failure keeps these out.
    code, records, stderr = run(tmp_path, [site.url("img/missing.jpg"), refused, good],
                                "--mode", mode, "--unknown", "allow")
    missing, no_server, fetched = records
    for r in (missing, no_server):
        assert not r["usable"] and r["state"] == "unreadable", r
        assert r["decision"] == "unknown" and r["reason"].startswith("unreadable: ")
    assert missing["http_status"] == 404 and "404" in missing["reason"]
    assert no_server["http_status"] is None and "Connection" in no_server["reason"]
    assert fetched["usable"] and fetched["state"] == "no-signal"
    assert code == 1, stderr
    code, _, stderr = run(tmp_path, [good], "--mode", mode, "--unknown", "allow")
    assert code == 0, stderr


@pytest.mark.parametrize("mode", ["stream", "ranged", "whole"])
def test_save_dir_keeps_exactly_the_usable_images_byte_for_byte(site, tmp_path, mode):
    saved = tmp_path / "saved"
    saved.mkdir()
    urls = all_urls(site) + [site.url("img/missing.jpg")]
    _, records, _ = run(tmp_path, urls, "--mode", mode, "--we-give", "credit",
                        "--save-dir", str(saved))
    usable = [r for r in records if r["usable"]]
    assert usable and len(usable) < len(records)
    for r in records:
        if r["usable"]:
            assert Path(r["saved"]).parent == saved
            assert Path(r["saved"]).read_bytes() == site.served(r["url"]), r["url"]
        else:
            assert r["saved"] is None, r
    # Nothing else: no image that was refused, no temporary file left.
    assert sorted(p.name for p in saved.iterdir()) == sorted(Path(r["saved"]).name for r in usable)


def test_a_mistyped_argument_exits_2_before_any_request(site, tmp_path):
    uri = "/img/plain.jpg?typo"
    code, records, stderr = run(tmp_path, [site.base + uri], "--use", "train_ai")
    assert code == 2
    assert 'did you mean "train-ai"' in stderr
    assert records == []
    assert site.sent(uri, timeout=0.5) == []
    # The same list with the label spelt right does fetch it.
    assert run(tmp_path, [site.base + uri], "--unknown", "allow")[0] == 0
    assert site.sent(uri) == [len(site.served(site.base + uri))]
    code, _, stderr = run(tmp_path, [site.url("img/plain.jpg")], "--unknown", "maybe")
    assert code == 2 and "unknown" in stderr


# --- the ranged mode's multi-range requests, on nginx's own answers -----------


@pytest.fixture(scope="module")
def dd():
    """The example as a module: its parser, on the answers nginx gives."""
    spec = importlib.util.spec_from_file_location("download_decide", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up while defining.
    sys.modules[spec.name] = module
    write, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no examples/__pycache__
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = write
    yield module
    sys.modules.pop(spec.name, None)


def raw_get(site: Site, rel: str, ranges: str) -> tuple[int, dict, bytes]:
    """(status, fields with lower-case names, body) of one GET with Range."""
    host, port = urlsplit(site.base).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/" + rel, headers={"Range": ranges})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def multipart(dd, site: Site, rel: str, ranges: str) -> tuple[bytes, bytes]:
    status, fields, body = raw_get(site, rel, ranges)
    assert status == 206, (status, fields)
    boundary = dd.byteranges_boundary(fields["content-type"])
    assert boundary, fields["content-type"]
    return body, boundary


def test_nginx_multipart_answers_are_parsed_to_the_files_bytes(site, dd):
    data = site.served(site.url("img/big.jpg"))
    size = len(data)
    body, boundary = multipart(dd, site, "img/big.jpg", f"bytes=0-{HEAD - 1},-{TAIL}")
    assert dd.parse_byteranges(body, boundary) == [
        (0, data[:HEAD], size), (size - TAIL, data[-TAIL:], size)]
    # Overlapping ranges, in the order asked: nginx sends each as asked.
    body, boundary = multipart(dd, site, "img/big.jpg", "bytes=10-19,15-24,-3")
    assert dd.parse_byteranges(body, boundary) == [
        (10, data[10:20], size), (15, data[15:25], size), (size - 3, data[-3:], size)]

    # One range: one part, sent as the file's own type.
    status, fields, body = raw_get(site, "img/big.jpg", "bytes=100-199")
    assert status == 206 and dd.byteranges_boundary(fields["content-type"]) is None
    client, transfer = dd.Client(UA, 10), dd.Transfer()
    response = client.get(site.url("img/big.jpg"), transfer, {"Range": "bytes=100-199"})
    try:
        assert dd.read_parts(response, 100) == [(100, data[100:200], size)]
    finally:
        response.close()
    assert transfer.bytes_fetched == 100

    # A file one byte longer than the two ranges: two parts, one byte apart.
    data = site.served(site.url("img/edge.jpg"))
    size = len(data)
    body, boundary = multipart(dd, site, "img/edge.jpg", f"bytes=0-{HEAD - 1},-{TAIL}")
    parts = dd.parse_byteranges(body, boundary)
    assert parts == [(0, data[:HEAD], size), (HEAD + 1, data[HEAD + 1 :], size)]
    held = dd.Held()
    for first, got, _ in parts:
        held.add(first, got)
    assert held.total() == size - 1 and held.missing(0, size) == [(HEAD, HEAD + 1)]
    assert held.read(HEAD - 2, HEAD + 2) == data[HEAD - 2 : HEAD]
    held.add(HEAD, data[HEAD : HEAD + 1])
    assert held.spans == [(0, data)] and held.missing(0, size) == []


class FirstAnswer:
    """What RangeFetcher takes from the first answer: its URL and fields."""

    def __init__(self, url: str, fields: dict):
        self.url, self._fields = url, fields

    def header(self, name: str):
        return self._fields.get(name.lower())


def test_later_ranges_come_in_one_request_and_only_from_the_same_file(site, dd):
    url = site.url("img/big.jpg")
    data = site.served(url)
    size = len(data)
    _, fields, _ = raw_get(site, "img/big.jpg", "bytes=0-0")
    ctx = dd.Context.create(dd.Options(user_agent=UA, timeout=10))
    transfer = dd.Transfer()
    fetch = dd.RangeFetcher(ctx, FirstAnswer(url, fields), transfer)
    fetch.keep(0, data[:1000], size)
    # Three ranges, one of them half held: one request, for what is missing.
    asked = [(500, 1000), (200_000, 300), (size - 10, 10)]
    assert fetch.many(asked) == [data[o : o + n] for o, n in asked]
    assert transfer.requests == 1
    assert fetch.held.missing(0, size) == [(1500, 200_000), (200_300, size - 10)]
    # Held now: no request.
    assert fetch(600, 100) == data[600:700] and transfer.requests == 1
    # A range half held: one single-part answer, for the missing half only.
    before = transfer.bytes_fetched
    assert fetch(1490, 20) == data[1490:1510] and transfer.requests == 2
    assert transfer.bytes_fetched - before == 10
    # Past the end is cut at the end.
    assert fetch(size - 4, 100) == data[-4:] and transfer.requests == 2

    # A file that changed since the first answer (another ETag): nginx
    # answers If-Range with the whole file, which is refused.
    changed = dd.RangeFetcher(ctx, FirstAnswer(url, {"etag": '"another"'}), dd.Transfer())
    changed.keep(0, data[:1000], size)
    with pytest.raises(dd.FetchError, match="changed"):
        changed(5000, 10)


def test_a_file_one_byte_longer_than_the_ranges(site, tmp_path):
    """Two parts with a byte between them: one request, and the record says
    the file was not read whole though more bytes came than it holds."""
    uri = "/img/edge.jpg?ranged"
    size = len(site.served(site.base + uri))
    code, (r,), _ = run(tmp_path, [site.base + uri], "--mode", "ranged")
    want = expected(site, site.base + uri)
    assert (r["decision"], r["state"]) == (want.decision, want.state)
    assert r["requests"] == 1 and r["http_status"] == 206 and r["size"] == size
    assert r["stopped_early"] and r["bytes_fetched"] > size
    assert site.sent(uri) == [r["bytes_fetched"]]


def test_a_multipart_answer_that_is_cut_or_lies_is_refused(site, dd):
    data = site.served(site.url("img/big.jpg"))
    body, boundary = multipart(dd, site, "img/big.jpg", f"bytes=0-{HEAD - 1},-{TAIL}")
    second = body.index(b"--" + boundary, 10)
    for cut_at in (second - 5, second + 20, len(body) - TAIL // 2, len(body) - 10):
        with pytest.raises(dd.FetchError):
            dd.parse_byteranges(body[:cut_at], boundary)
    # Cut by the reader (a server sending more than asked): what came is kept.
    kept = dd.parse_byteranges(body[: len(body) - TAIL // 2], boundary, cut=True)
    assert kept[0] == (0, data[:HEAD], len(data))
    first, got, _ = kept[1]
    assert first == len(data) - TAIL and 0 < len(got) < TAIL and data[first:].startswith(got)
    # A part that is not the length its Content-Range says.
    claim = f"bytes 0-{HEAD - 1}/".encode()
    assert claim in body
    shorter = body.replace(claim, f"bytes 0-{HEAD - 2}/".encode(), 1)
    with pytest.raises(dd.FetchError, match="longer than its Content-Range"):
        dd.parse_byteranges(shorter, boundary)
    with pytest.raises(dd.FetchError, match="without its boundary"):
        dd.parse_byteranges(body, b"not-the-boundary")


@pytest.mark.parametrize("rel", ["img/ccsig-cr.png", "img/plain.jpg", "norange/ccsig-cr.png"])
def test_a_small_file_comes_whole_in_one_request(site, tmp_path, rel):
    data = site.served(site.url(rel))
    assert len(data) < HEAD
    # nginx sends the whole file (200) when the ranges add up to more.
    status, _, body = raw_get(site, rel, f"bytes=0-{HEAD - 1},-{TAIL}")
    assert status == 200 and body == data
    code, (r,), stderr = run(tmp_path, [site.url(rel)], "--mode", "ranged",
                             "--we-give", "credit")
    assert r["requests"] == 1 and r["http_status"] == 200, r
    assert r["bytes_fetched"] == r["size"] == len(data) and not r["stopped_early"]
    assert not any("ignored Range" in n for n in r["notes"]), r["notes"]
    want = expected(site, site.url(rel), we_give="credit").to_dict()
    assert {k: r[k] for k in want if k != "path"} == {k: v for k, v in want.items() if k != "path"}


def test_a_server_that_ignores_range_is_streamed(site, tmp_path):
    data = site.served(site.url("norange/big.jpg"))
    status, fields, body = raw_get(site, "norange/big.jpg", f"bytes=0-{HEAD - 1},-{TAIL}")
    assert status == 200 and len(body) == len(data) and "accept-ranges" not in fields
    urls = [site.url("norange/big.jpg")]
    # Refused: stopped at the first scan, as stream mode does.
    code, (r,), _ = run(tmp_path, urls, "--mode", "ranged")
    assert r["decision"] == "disallowed" and r["http_status"] == 200 and r["requests"] == 1
    assert r["stopped_early"] and r["bytes_fetched"] <= 2 * 65536
    assert any("ignored Range" in n for n in r["notes"]), r["notes"]
    # Usable: read to its end, in that same request, and decided whole.
    code, (r,), _ = run(tmp_path, urls, "--mode", "ranged", "--we-give", "credit,open")
    assert r["usable"] and r["requests"] == 1 and not r["stopped_early"]
    assert r["bytes_fetched"] == r["size"] == len(data)
    assert any("ignored Range" in n for n in r["notes"]), r["notes"]


def test_a_server_that_sends_only_the_first_range(site, tmp_path):
    data = site.served(site.url("onerange/big.jpg"))
    status, fields, body = raw_get(site, "onerange/big.jpg", f"bytes=0-{HEAD - 1},-{TAIL}")
    assert status == 206 and fields["content-range"] == f"bytes 0-{HEAD - 1}/{len(data)}"
    assert fields["content-type"] == "image/jpeg" and body == data[:HEAD]
    # A big JPEG: its head in the first answer, its tail in a second.
    for we_give in ("", "credit,open"):
        code, (r,), _ = run(tmp_path, [site.url("onerange/big.jpg")], "--mode", "ranged",
                            "--we-give", we_give)
        want = expected(site, site.url("onerange/big.jpg"), we_give=we_give)
        assert (r["decision"], r["usable"]) == (want.decision, want.usable), r
        assert r["requests"] == 2 and r["http_status"] == 206, r
        assert r["bytes_fetched"] == HEAD + TAIL and r["stopped_early"]
    # A small file: the one part is all of it, decided whole.
    small = site.served(site.url("onerange/ccsig-cr.png"))
    code, (r,), _ = run(tmp_path, [site.url("onerange/ccsig-cr.png")], "--mode", "ranged",
                        "--we-give", "credit")
    assert r["requests"] == 1 and r["http_status"] == 206 and not r["stopped_early"], r
    assert r["bytes_fetched"] == r["size"] == len(small)
    want = expected(site, site.url("onerange/ccsig-cr.png"), we_give="credit").to_dict()
    assert {k: r[k] for k in want if k != "path"} == {k: v for k, v in want.items() if k != "path"}
