#!/usr/bin/env python3
"""Download images and decide, while they download, which ones a training
pipeline may use: an img2dataset-style downloader built on ccsig, with
nothing but the standard library (http.client, threads).

    python examples/download_decide.py URLS.txt --out decisions.jsonl \\
        [--mode stream|ranged|whole] [--jobs 16] [--use train-ai] \\
        [--we-give credit,open] [--unknown deny|allow] [--user-agent NAME] \\
        [--save-dir DIR] [--timeout 30]

URLS.txt holds one http(s) URL a line (`-`: standard input); blank lines
and lines starting with `#` are ignored.

Each site's robots.txt is fetched once (per scheme and host) and its
`Content-Usage` rules for the user agent's group count for every image of
the site: a rule that says "no" for an image's path decides it before any
request for the image is made. A robots.txt that is missing (404, 410)
has no rules; one that cannot be fetched (5xx, timeout...) has none either,
and the records of that site say so in `notes`.

Modes:

- `stream` (default): GET the image and feed it to `ccsig.StreamDecider`
  with the response's fields (`Content-Usage`, `X-Robots-Tag`) as it
  arrives. As soon as the decision is settled and is not usable (a "no" in
  the fields: before the first byte; a JPEG whose metadata says no: at its
  first scan) the connection is closed and the rest is never downloaded.
  A usable image is read to its end and decided whole (`finish()`: a
  truncated download is unreadable, never usable).
- `ranged`: one GET for the first 64 KiB and the last 4 KiB together
  (`Range: bytes=0-65535,-4096`, answered as `multipart/byteranges`),
  which is what `ccsig.decide_ranged` reads first, then whatever else its
  read needs (a PNG's chunks before its end) with more Range GETs, several
  ranges in one request. A JPEG takes that one request. A server that
  ignores Range, or sends a small file whole (200), is streamed as in
  `stream` mode. With `--save-dir`, a usable image is then downloaded
  whole (stream mode) to be saved.
- `whole`: GET the whole image, then decide: the baseline the other two
  save bytes and time against.

With `--save-dir`, every image whose final decision is usable is saved
there (as `<sha1 of the URL, 16 hex digits><extension>`, written to a
temporary file and renamed into place) and nothing else is.

Output: one JSON line per URL, in input order: `url`, `mode`, every field
of `ccsig.Decision.to_dict()` (`path` is the URL the image came from, after
redirects), then `bytes_fetched` (body bytes received for the image, a
multipart answer's boundaries and part headers included), `requests` (HTTP
requests for the image, redirects included, robots.txt not), `size` (the
image's length when the server gave it), `stopped_early` (the image was
not read to its end: a download stopped at a "no", a ranged read, a
robots.txt "no" that needed no request), `http_status` (of the image's
first answer after redirects; null without one), `saved` (the file
written into --save-dir, or null) and `notes`.

Failure is never permission: an image that cannot be fetched (404, 5xx,
refused connection, timeout, a cut download) gets `usable: false`, `state:
"unreadable"` and the cause in `reason`. Exit code: 0 when every image was
fetched and read, 1 when some could not be (each still has its record),
2 for a usage error (`--use train_ai`: checked before any request).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import email.message
import hashlib
import http.client
import json
import os
import posixpath
import ssl
import sys
import tempfile
import threading
from typing import Callable, Iterable, Iterator, Optional
from urllib.parse import urljoin, urlsplit

import ccsig

PROG = "download_decide.py"
CHUNK = 64 * 1024
#: What the first ranged GET asks for: the head (a JPEG's metadata almost
#: always fits) and the tail (a JPEG's end marker, a PNG's last chunks):
#: what ccsig's ranged read asks for first when it knows the size, so that
#: a JPEG needs no second request.
HEAD = 64 * 1024
TAIL = 4 * 1024
#: Room, beyond the bytes asked for, for a multipart answer's boundaries
#: and part headers (nginx: ~100 bytes a part). A 206 answer is read no
#: further than that: a server that sends more is cut off there.
FRAMING = 16 * 1024
MAX_REDIRECTS = 5
#: RFC 9309 asks crawlers to parse at least 500 KiB of a robots.txt.
ROBOTS_LIMIT = 500 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """The server answered, but not with the image."""


#: Errors that mean "this image could not be fetched" (never permission).
FETCH_ERRORS = (FetchError, OSError, http.client.HTTPException, ValueError, ccsig.CcsigError)


@dataclasses.dataclass
class Options:
    mode: str = "stream"
    use: str = "train-ai"
    we_give: str = ""
    unknown: str = "deny"
    user_agent: str = "ccsig-download-example"
    save_dir: Optional[str] = None
    timeout: float = 30.0

    def decide_keywords(self) -> dict:
        """The keywords every ccsig call here takes. Errors become
        `unreadable` decisions rather than exceptions, so that a damaged
        image gets its record like any other."""
        return {
            "use": self.use,
            "we_give": self.we_give,
            "unknown": self.unknown,
            "on_error": "unknown",
            "user_agent": self.user_agent,
        }


@dataclasses.dataclass
class Transfer:
    """What fetching one image cost and what happened to it."""

    requests: int = 0
    bytes_fetched: int = 0
    size: Optional[int] = None
    stopped_early: bool = False
    http_status: Optional[int] = None
    #: The image's first answer (after redirects) and where it came from.
    final_url: Optional[str] = None
    saved: Optional[str] = None
    notes: list = dataclasses.field(default_factory=list)

    def note(self, text: Optional[str]) -> None:
        if text and text not in self.notes:
            self.notes.append(text)


# --- HTTP ---------------------------------------------------------------


class Response:
    """One HTTP response; counts the body bytes read into its Transfer."""

    def __init__(self, client, key, conn, raw, url, transfer):
        self._client, self._key, self._conn, self._raw = client, key, conn, raw
        self.url = url
        self.status = raw.status
        self.reason = raw.reason
        self.headers = raw.getheaders()
        self._transfer = transfer

    def header(self, name: str) -> Optional[str]:
        return self._raw.getheader(name)

    def read(self, n: int = CHUNK) -> bytes:
        data = self._raw.read(n)
        self._transfer.bytes_fetched += len(data)
        return data

    def read_all(self, limit: Optional[int] = None) -> bytes:
        chunks, total = [], 0
        while limit is None or total < limit:
            chunk = self.read(CHUNK if limit is None else min(CHUNK, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Keeps the connection for the next request when the body was read
        to its end; otherwise closes it, which is what stops the server
        sending the rest."""
        if self._conn is None:
            return
        if self._raw.isclosed() and not self._raw.will_close:
            self._client.check_in(self._key, self._conn)
        else:
            self._conn.close()
        self._conn = None


def check_url(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return parts


class Client:
    """GETs over keep-alive connections. Each thread keeps its last
    connection open for its next request: a downloader's worker fetching
    several images (or ranges) from one site saves a connection set-up a
    request, and one fetching from a million sites holds one socket."""

    #: What get() answers with (benches/download.py adds a modelled
    #: bandwidth to its reads).
    response_class = Response

    def __init__(self, user_agent: str, timeout: float):
        self.user_agent = user_agent
        self.timeout = timeout
        self._local = threading.local()
        self._tls = ssl.create_default_context()

    def check_in(self, key, conn) -> None:
        self._drop_idle()
        self._local.idle = (key, conn)

    def _check_out(self, key):
        idle_key, conn = getattr(self._local, "idle", (None, None))
        if idle_key != key:
            return None
        self._local.idle = (None, None)
        return conn

    def _drop_idle(self) -> None:
        _, conn = getattr(self._local, "idle", (None, None))
        if conn is not None:
            conn.close()
        self._local.idle = (None, None)

    def _connect(self, key):
        scheme, netloc = key
        if scheme == "https":
            return http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self._tls)
        return http.client.HTTPConnection(netloc, timeout=self.timeout)

    def _request(self, url: str, headers: dict):
        parts = check_url(url)
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": self.user_agent, **headers}
        idle = self._check_out(key)
        while True:
            conn = idle or self._connect(key)
            try:
                conn.request("GET", target, headers=headers)
                return key, conn, conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                # The server may close an idle keep-alive connection at any
                # time: that is worth one retry on a new one, nothing more.
                if idle is None:
                    raise
                idle = None
            except BaseException:
                conn.close()
                raise

    def get(self, url: str, transfer: Transfer, headers: Optional[dict] = None) -> Response:
        """GET, following redirects; the caller must close() the answer."""
        for _ in range(MAX_REDIRECTS + 1):
            transfer.requests += 1  # tried, whether or not it connects
            key, conn, raw = self._request(url, headers or {})
            response = self.response_class(self, key, conn, raw, url, transfer)
            location = raw.getheader("Location")
            if raw.status not in REDIRECT_STATUSES or not location:
                if transfer.http_status is None:
                    transfer.http_status, transfer.final_url = raw.status, url
                return response
            response.read_all(limit=CHUNK)
            response.close()
            url = urljoin(url, location)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def expect_status(response: Response, *wanted: int) -> None:
    if response.status not in wanted:
        raise FetchError(f"HTTP {response.status} {response.reason}".rstrip())


def content_length(response: Response) -> Optional[int]:
    value = response.header("Content-Length")
    return int(value) if value and value.isdigit() else None


def describe(error: BaseException) -> str:
    if isinstance(error, FetchError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# --- robots.txt -----------------------------------------------------------


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RobotsCache:
    """Each site's robots.txt, fetched once by whichever thread asks first;
    the others wait for that answer instead of fetching it again."""

    def __init__(self, client: Client):
        self._client = client
        self._lock = threading.Lock()
        self._answers: dict = {}

    def get(self, url: str) -> tuple:
        """(robots.txt text or None, a note for the record or None)."""
        origin = origin_of(url)
        with self._lock:
            answer = self._answers.get(origin)
            mine = answer is None
            if mine:
                answer = self._answers[origin] = concurrent.futures.Future()
        if mine:
            try:
                answer.set_result(self._fetch(origin))
            except BaseException as e:
                answer.set_exception(e)
                raise
        return answer.result()

    def _fetch(self, origin: str) -> tuple:
        try:
            response = self._client.get(origin + "/robots.txt", Transfer())
        except FETCH_ERRORS as e:
            return None, f"robots.txt of {origin} not fetched ({describe(e)}): no rules applied"
        try:
            if 200 <= response.status < 300:
                body = response.read_all(limit=ROBOTS_LIMIT)
                return body.decode("utf-8-sig", errors="replace"), None
            if response.status in (404, 410):
                return None, None
            return None, f"robots.txt of {origin}: HTTP {response.status}: no rules applied"
        except FETCH_ERRORS as e:
            return None, f"robots.txt of {origin} not read ({describe(e)}): no rules applied"
        finally:
            response.close()


# --- saving ---------------------------------------------------------------


def saved_name(url: str) -> str:
    extension = posixpath.splitext(urlsplit(url).path)[1].lower()
    if not (1 < len(extension) <= 6 and extension[1:].isalnum()):
        extension = ""
    return hashlib.sha1(url.encode()).hexdigest()[:16] + extension


class Saver:
    """Writes an image to a temporary file beside its final name, so that a
    name in the save folder only ever holds a whole, usable image."""

    def __init__(self, folder: Optional[str]):
        self._file = None
        if folder:
            self._file = tempfile.NamedTemporaryFile(dir=folder, prefix=".part-", delete=False)

    def write(self, data: bytes) -> None:
        if self._file:
            self._file.write(data)

    def commit(self, folder: Optional[str], name: str) -> Optional[str]:
        if not self._file:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        path = os.path.join(folder, name)
        os.replace(self._file.name, path)
        self._file = None
        return path

    def discard(self) -> None:
        if self._file:
            self._file.close()
            os.unlink(self._file.name)
            self._file = None

    def __enter__(self) -> "Saver":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


# --- the modes ------------------------------------------------------------


@dataclasses.dataclass
class Context:
    options: Options
    client: Client
    robots: RobotsCache

    @classmethod
    def create(cls, options: Options) -> "Context":
        client = Client(options.user_agent, options.timeout)
        return cls(options, client, RobotsCache(client))

    def robots_for(self, url: str, transfer: Transfer) -> Optional[str]:
        text, note = self.robots.get(url)
        transfer.note(note)
        return text


def settled_no(ctx: Context, **around) -> Optional[ccsig.Decision]:
    """The decision when what the image comes with (`robots`, `headers`,
    for `url`) already says "no": the most restrictive statement wins, so
    nothing in the image could change it, and none of it need be fetched."""
    decider = ccsig.StreamDecider(**around, **ctx.options.decide_keywords())
    early = decider.feed(b"")
    return early if early is not None and not early.usable else None


def robots_says_no(url: str, ctx: Context, transfer: Transfer) -> Optional[ccsig.Decision]:
    """A robots.txt "no" for this path, decided before the image is requested."""
    robots = ctx.robots_for(url, transfer)
    return None if robots is None else settled_no(ctx, robots=robots, url=url)


def stream_response(response: Response, ctx: Context, transfer: Transfer) -> ccsig.Decision:
    """Feeds a 200 response to a StreamDecider; stops at the first settled
    decision that is not usable, else reads to the end and decides the
    whole image, which is saved if that decision is usable."""
    opts = ctx.options
    try:
        expect_status(response, 200)
        transfer.size = content_length(response)
        decider = ccsig.StreamDecider(
            size=transfer.size,
            headers=response.headers,
            robots=ctx.robots_for(response.url, transfer),
            url=response.url,
            **opts.decide_keywords(),
        )
        with Saver(opts.save_dir) as saver:
            decision, whole = feed(response, decider, saver, transfer)
            if whole and decision.usable:
                transfer.saved = saver.commit(opts.save_dir, saved_name(response.url))
        return decision
    finally:
        response.close()


def feed(response: Response, decider, saver: "Saver", transfer: Transfer) -> tuple:
    """(the decision, whether the whole image was read)."""
    chunk = b""  # first: a "no" in the response's fields settles it before any byte
    try:
        while True:
            early = decider.feed(chunk)
            # Once every byte is in, finish() costs nothing and also
            # checks the end (a truncated file is unreadable).
            complete = transfer.size is not None and decider.received >= transfer.size
            if early is not None and not early.usable and not complete:
                transfer.stopped_early = True
                return early, False
            chunk = response.read(CHUNK)
            if not chunk:
                return decider.finish(), True
            saver.write(chunk)
    except (OSError, http.client.HTTPException) as e:
        # A cut download is never usable; a "no" the bytes so far gave
        # still stands, anything else is the failure it is.
        final = decider.finish()
        if final.decision != "disallowed":
            raise
        transfer.note(f"download cut: {describe(e)}")
        return final, False


def stream_image(url: str, ctx: Context, transfer: Transfer) -> ccsig.Decision:
    return stream_response(ctx.client.get(url, transfer), ctx, transfer)


def whole_image(url: str, ctx: Context, transfer: Transfer) -> ccsig.Decision:
    response = ctx.client.get(url, transfer)
    try:
        expect_status(response, 200)
        transfer.size = content_length(response)
        data = response.read_all()
    finally:
        response.close()
    decision = ccsig.decide(
        data,
        headers=response.headers,
        robots=ctx.robots_for(response.url, transfer),
        url=response.url,
        **ctx.options.decide_keywords(),
    )
    if decision.usable and ctx.options.save_dir:
        with Saver(ctx.options.save_dir) as saver:
            saver.write(data)
            transfer.saved = saver.commit(ctx.options.save_dir, saved_name(response.url))
    return decision


def parse_content_range(value: Optional[str]) -> tuple:
    """`bytes 0-65535/1234567` -> (0, 65535, 1234567); `bytes */1234567`
    (a 416's) -> (None, None, 1234567); an unknown length (`/*`) is None."""
    if not value or not value.startswith("bytes "):
        raise FetchError(f"a partial answer without a usable Content-Range: {value!r}")
    span, _, total_text = value[len("bytes ") :].strip().partition("/")
    total = int(total_text) if total_text.isdigit() else None
    if total is None and total_text != "*":
        raise FetchError(f"a Content-Range without a length: {value!r}")
    if span == "*":
        return None, None, total
    first, _, last = span.partition("-")
    if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
        raise FetchError(f"a Content-Range that is no span: {value!r}")
    if total is not None and int(last) >= total:
        raise FetchError(f"a Content-Range past the file's end: {value!r}")
    return int(first), int(last), total


def byteranges_boundary(content_type: str) -> Optional[bytes]:
    """The boundary of a `multipart/byteranges` answer, None for any other
    type (a single range, sent as the file's own type). email's parser reads
    the parameter, quoted or not."""
    message = email.message.Message()
    message["Content-Type"] = content_type
    if message.get_content_type() != "multipart/byteranges":
        return None
    boundary = message.get_boundary()
    if not boundary:
        raise FetchError("a multipart/byteranges answer without a boundary")
    return boundary.encode("latin-1")


def parse_byteranges(body: bytes, boundary: bytes, cut: bool = False) -> list:
    """The parts of a `multipart/byteranges` body (RFC 9110 14.6, RFC 2046
    5.1.1), as (first byte, bytes, file length) each.

    A part's length is taken from its Content-Range, not from a search for
    the next boundary, and the boundary must follow right there: a part
    that is not the length it claims is an error rather than bytes shifted
    silently. `cut`: the body was cut short by the reader (a server sending
    more than was asked for); the parts it holds, the last one as far as it
    got, are kept."""
    delimiter = b"--" + boundary
    pos = body.find(delimiter)
    # The first delimiter starts the body or a line (nginx sends a CRLF
    # before it; anything before it is a preamble, ignored).
    if pos < 0 or (pos > 0 and body[pos - 1 : pos] != b"\n"):
        if cut:
            return []
        raise FetchError("a multipart/byteranges answer without its boundary")
    parts = []
    while True:
        pos += len(delimiter)
        if body.startswith(b"--", pos):
            return parts  # the close delimiter
        line_end = body.find(b"\r\n", pos)
        headers_end = body.find(b"\r\n\r\n", line_end) if line_end >= 0 else -1
        if headers_end < 0:
            if cut:
                return parts
            raise FetchError("a multipart/byteranges answer cut inside a part's headers")
        if body[pos:line_end].strip(b" \t"):  # only transport padding may follow
            raise FetchError("a multipart/byteranges boundary followed by text")
        content_range = None
        for line in body[line_end + 2 : headers_end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-range":
                content_range = value.strip().decode("latin-1")
        first, last, total = parse_content_range(content_range)
        if first is None:
            raise FetchError("a multipart/byteranges part without a span")
        start = headers_end + 4
        data = body[start : start + last - first + 1]
        if len(data) < last - first + 1:
            if cut:
                return parts + [(first, data, total)]
            raise FetchError("a multipart/byteranges answer cut inside a part")
        parts.append((first, data, total))
        pos = start + len(data)
        if not body.startswith(b"\r\n" + delimiter, pos):
            if cut and len(body) < pos + 2 + len(delimiter) + 2:
                return parts
            raise FetchError("a multipart/byteranges part longer than its Content-Range")
        pos += 2


def read_parts(response: Response, asked: int) -> list:
    """The spans of the file a 206 answer holds, (first byte, bytes, file
    length) each: one, named by the answer's Content-Range, or the parts
    of a multipart/byteranges body. `asked`: how many bytes were asked for;
    no more than that and FRAMING are read (a server may merge ranges, or
    send more than asked: what came until then is kept)."""
    limit = asked + FRAMING
    boundary = byteranges_boundary(response.header("Content-Type") or "")
    if boundary is None:
        first, last, total = parse_content_range(response.header("Content-Range"))
        if first is None:
            raise FetchError("a 206 answer without a span")
        return [(first, response.read_all(limit=min(last - first + 1, limit)), total)]
    body = response.read_all(limit=limit + 1)
    cut = len(body) > limit
    return parse_byteranges(body[:limit] if cut else body, boundary, cut)


class Held:
    """Bytes of one file from the answers so far, as disjoint spans that
    neither overlap nor touch: (first byte, bytes), in order."""

    def __init__(self):
        self.spans: list = []

    def add(self, first: int, data: bytes) -> None:
        if not data:
            return
        lo, hi = first, first + len(data)
        merging, keep = [(first, data)], []
        for start, held in self.spans:
            if start <= hi and lo <= start + len(held):
                merging.append((start, held))
                lo, hi = min(lo, start), max(hi, start + len(held))
            else:
                keep.append((start, held))
        if len(merging) == 1:
            keep.append((first, data))
        else:
            joined = bytearray(hi - lo)
            for start, held in merging:
                joined[start - lo : start - lo + len(held)] = held
            keep.append((lo, bytes(joined)))
        self.spans = sorted(keep, key=lambda span: span[0])

    def total(self) -> int:
        return sum(len(held) for _, held in self.spans)

    def read(self, offset: int, end: int) -> bytes:
        """The bytes held from `offset` on, up to `end` (short, or empty,
        where what is held stops)."""
        for start, held in self.spans:
            if start <= offset < start + len(held):
                return held[offset - start : end - start]
        return b""

    def missing(self, offset: int, end: int) -> list:
        """The spans [a, b) of [offset, end) not held."""
        gaps, at = [], offset
        for start, held in self.spans:
            if start + len(held) <= at:
                continue
            if start >= end:
                break
            if start > at:
                gaps.append((at, start))
            at = start + len(held)
        if at < end:
            gaps.append((at, end))
        return gaps


def merged(spans: list) -> list:
    """Spans [a, b), sorted, the overlapping and touching ones joined."""
    out: list = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class RangeFetcher:
    """`fetch(offset, length)` and `fetch_many(ranges)` for
    ccsig.decide_ranged: served from the bytes already received when they
    hold the range, else with one Range GET for all that is missing (several
    ranges: a multi-range request, one round trip).

    If-Range makes a server whose file changed since the first answer
    answer 200 (the whole new file), which is refused rather than mixed
    with the bytes held."""

    def __init__(self, ctx: Context, first: Response, transfer: Transfer):
        self._ctx, self._url, self._transfer = ctx, first.url, transfer
        self.held = Held()
        self.size: Optional[int] = None
        # If-Range needs a strong validator: a weak ETag would make every
        # answer the whole file.
        etag = first.header("ETag")
        validator = etag if etag and not etag.startswith("W/") else first.header("Last-Modified")
        self._if_range = {"If-Range": validator} if validator else {}

    @property
    def whole(self) -> bool:
        return self.size is not None and self.held.total() >= self.size

    def keep(self, first: int, data: bytes, total: Optional[int]) -> None:
        if total is not None:
            if self.size is not None and total != self.size:
                raise FetchError(f"the image's length changed from {self.size} to {total}")
            self.size = total
        self.held.add(first, data)

    def __call__(self, offset: int, length: int) -> bytes:
        return self.many([(offset, length)])[0]

    def many(self, ranges) -> list:
        wanted = [
            (offset, offset + length if self.size is None else min(offset + length, self.size))
            for offset, length in ranges
        ]
        gaps = merged([gap for a, b in wanted for gap in self.held.missing(a, b)])
        if gaps:
            self._get(gaps)
        # A range the server did not send comes back short: ccsig retries
        # it a few times, then gives up (never a guess).
        return [self.held.read(a, b) for a, b in wanted]

    def _get(self, spans: list) -> None:
        ranges = ",".join(f"{a}-{b - 1}" for a, b in spans)
        response = self._ctx.client.get(
            self._url, self._transfer, {"Range": f"bytes={ranges}", **self._if_range}
        )
        try:
            if response.status == 416:
                # Past the end (the size not known yet): nothing held, so
                # the short answer tells ccsig where the file ends.
                _, _, total = parse_content_range(response.header("Content-Range"))
                self.keep(0, b"", total)
                return
            if response.status == 200:
                raise FetchError(
                    "a Range request answered with the whole file: "
                    "the image changed since its first answer"
                )
            expect_status(response, 206)
            for part in read_parts(response, sum(b - a for a, b in spans)):
                self.keep(*part)
        finally:
            response.close()


def ranged_image(url: str, ctx: Context, transfer: Transfer) -> ccsig.Decision:
    # The head and the tail in one request: ccsig's first step (with the
    # size known) asks for exactly these, so a JPEG is decided from this
    # one answer.
    first = ctx.client.get(url, transfer, {"Range": f"bytes=0-{HEAD - 1},-{TAIL}"})
    if first.status == 200:
        length = content_length(first)
        # A file no longer than the two ranges is fairly sent whole (nginx
        # does, rather than send parts that overlap); a bigger one means
        # the server ignores Range.
        if length is None or length > HEAD + TAIL:
            transfer.note("the server ignored Range: the image was streamed")
        return stream_response(first, ctx, transfer)
    fetch = RangeFetcher(ctx, first, transfer)
    try:
        expect_status(first, 206, 416)
        if first.status == 416:
            _, _, total = parse_content_range(first.header("Content-Range"))
            fetch.keep(0, b"", total)  # an empty file: `bytes */0`
        else:
            for part in read_parts(first, HEAD + TAIL):
                fetch.keep(*part)
    finally:
        first.close()
    transfer.size = fetch.size
    robots = ctx.robots_for(first.url, transfer)
    around = {"headers": first.headers, "robots": robots, "url": first.url}
    # A "no" in the response's fields spares the other requests; a file
    # held whole is decided whole all the same (it is free).
    decision = None if fetch.whole else settled_no(ctx, **around)
    decision = decision or ccsig.decide_ranged(
        fetch, fetch.size, fetch_many=fetch.many, **around, **ctx.options.decide_keywords()
    )
    transfer.size = fetch.size  # learnt on the way if the first answer did not say
    transfer.stopped_early = not fetch.whole
    if decision.usable and ctx.options.save_dir:
        # The whole image now, decided again over every byte (the end of a
        # JPEG included), and saved only if that decision is usable too.
        transfer.stopped_early = False
        return stream_image(first.url, ctx, transfer)
    return decision


MODES: dict = {"stream": stream_image, "ranged": ranged_image, "whole": whole_image}


# --- records ----------------------------------------------------------------


def failure_fields(url: str, problem: str) -> dict:
    """The decision fields of an image that could not be fetched: the
    library's own `unreadable` record (so the fields stay its fields),
    with the cause as its reason."""
    fields = ccsig.decide(b"", on_error="unknown").to_dict()
    fields.update(path=url, usable=False, reason=f"unreadable: {problem}")
    return fields


def process(url: str, ctx: Context) -> dict:
    """One URL's record; never raises for what a network or a server does."""
    transfer = Transfer()
    try:
        check_url(url)
        decision = robots_says_no(url, ctx, transfer)
        if decision is not None:
            transfer.stopped_early = True
        else:
            decision = MODES[ctx.options.mode](url, ctx, transfer)
        fields = decision.to_dict()
        # ccsig.decide names no path for bytes: the URL is the image's name.
        fields["path"] = fields["path"] or transfer.final_url or url
    except FETCH_ERRORS as e:
        fields = failure_fields(url, describe(e))
    record = {"url": url, "mode": ctx.options.mode, **fields}
    record.update(
        bytes_fetched=transfer.bytes_fetched,
        requests=transfer.requests,
        size=transfer.size,
        stopped_early=transfer.stopped_early,
        http_status=transfer.http_status,
        saved=transfer.saved,
        notes=transfer.notes,
    )
    return record


def in_order(
    pool: concurrent.futures.Executor, fn: Callable, items: Iterable, window: int
) -> Iterator:
    """fn over items on the pool, results in input order, with at most
    `window` in flight: a list of millions of URLs is never all queued."""
    pending: collections.deque = collections.deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def read_urls(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


# --- command line -------------------------------------------------------------


def parse_args(argv: list) -> argparse.Namespace:
    # --use, --we-give and --unknown are checked by the library itself
    # (validate), so that this accepts exactly what `ccsig decide` does.
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("urls", help="file of URLs, one a line ('-': standard input)")
    p.add_argument("--out", default="-", help="JSON Lines output ('-': standard output, default)")
    p.add_argument("--mode", choices=sorted(MODES), default="stream")
    p.add_argument("--jobs", type=int, default=16, help="downloads in flight (default: 16)")
    p.add_argument("--use", default="train-ai", help="usage label: train-ai or search")
    p.add_argument(
        "--we-give",
        default="",
        help="comma-separated elements the pipeline gives: credit, direct-contribution, "
        "ecosystem-contribution, open",
    )
    p.add_argument(
        "--unknown",
        default="deny",
        metavar="{deny,allow}",
        help="whether images that state nothing are usable (default: deny)",
    )
    p.add_argument(
        "--user-agent",
        default="ccsig-download-example",
        help="the User-Agent sent, and the robots.txt group that applies",
    )
    p.add_argument("--save-dir", help="folder to save the usable images into")
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per connect or read (default: 30)"
    )
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    if args.save_dir and not os.path.isdir(args.save_dir):
        p.error(f"--save-dir {args.save_dir}: not a folder")
    return args


def validate(options: Options) -> Optional[str]:
    """The library's own check of the decision arguments, before any
    request: the message of a mistake, or None."""
    try:
        ccsig.StreamDecider(use=options.use, we_give=options.we_give, unknown=options.unknown)
    except ccsig.InvalidArgument as e:
        return str(e)
    return None


def main(argv: list) -> int:
    args = parse_args(argv)
    options = Options(
        mode=args.mode,
        use=args.use,
        we_give=args.we_give,
        unknown=args.unknown,
        user_agent=args.user_agent,
        save_dir=args.save_dir,
        timeout=args.timeout,
    )
    problem = validate(options)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    try:
        source = sys.stdin if args.urls == "-" else open(args.urls, encoding="utf-8")
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    except OSError as e:
        print(f"{PROG}: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    ctx = Context.create(options)
    counts: collections.Counter = collections.Counter()
    with source, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        records = in_order(pool, lambda url: process(url, ctx), read_urls(source), args.jobs * 4)
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            counts["urls"] += 1
            counts["usable" if record["usable"] else record["state"]] += 1
            counts["bytes"] += record["bytes_fetched"]
    if out is not sys.stdout:
        out.close()
    print(
        f"{PROG}: {counts['urls']} URLs: {counts['usable']} usable, "
        f"{counts['unreadable']} unreadable, {counts['bytes']} bytes fetched",
        file=sys.stderr,
    )
    return 1 if counts["unreadable"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
