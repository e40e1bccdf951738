"""ccsig: read, decide on, write and audit Creative Commons CC signals
(AI-use preferences) in image metadata, without re-encoding.

Every function releases the GIL while it reads, parses or writes.

Every argument is checked before any file is read or touched: a value the
library does not know (a mistyped ``use``, ``we_give`` element, policy,
vocabulary, ``signal`` or ``expect``) raises :class:`InvalidArgument` (a
``ValueError``) whose message names the keyword, the value, the accepted
values and, when one is close, the nearest: ``use: "train_ai" is not a
usage label of draft-07 (expected one of: train-ai, search); did you mean
"train-ai"?``. A pipeline never runs on a typo.
"""

import os
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    TypedDict,
    Union,
)

from ._errors import (
    AccessError as AccessError,
    CcsigError as CcsigError,
    InternalError as InternalError,
    InvalidArgument as InvalidArgument,
    InvalidExpression as InvalidExpression,
    UnreadableImage as UnreadableImage,
    WriteError as WriteError,
)

__version__: str

# The aliases and TypedDicts below exist for type checkers only (import
# them under ``typing.TYPE_CHECKING``); at run time the values are plain
# str, list and dict.
StrPath = Union[str, "os.PathLike[str]"]
#: A file: its path, or its bytes (``bytes`` are read in place; a
#: ``bytearray`` is copied first).
File = Union[StrPath, bytes, bytearray]
#: HTTP response header fields: a mapping, or (name, value) pairs.
Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]
#: What the pipeline gives in return: element names (``credit``,
#: ``direct-contribution``, ``ecosystem-contribution``, ``open``), as a list
#: or one comma-separated string. Any other name raises
#: :class:`InvalidArgument`.
Elements = Union[Iterable[str], str]
Element = Literal["credit", "direct-contribution", "ecosystem-contribution", "open"]
#: A usage label of the vocabulary: ``train-ai`` or ``search`` (draft-07);
#: draft-08 adds ``ai-use``. Exact spelling: ``train_ai`` or ``Train-AI``
#: raise :class:`InvalidArgument`.
UseLabel = str
#: The AIPREF vocabulary draft labels are read against.
VocabularyName = Literal["draft-07", "draft-08"]
#: ``deny`` (the default everywhere) or ``allow``.
Policy = Literal["deny", "allow"]
SignalCode = Literal["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"]
DecisionWord = Literal["allowed", "allowed-with-terms", "disallowed", "unknown"]
#: What a :class:`Decision` rests on: ``stated`` (the file was read and
#: states a preference for the use), ``no-signal`` (read; states nothing
#: for the use), ``unreadable`` (could not be read: damaged, truncated,
#: cannot be opened) or ``unsupported`` (an image in a format ccsig does not
#: read: HEIF/HEIC, AVIF, TIFF, DNG, camera RAW, JPEG XL, GIF, BMP, PSD...).
#: An ``unreadable`` or ``unsupported`` file may hold a "no" ccsig cannot see.
State = Literal["stated", "no-signal", "unreadable", "unsupported"]

class Owed(TypedDict):
    """One element a pipeline owes under the CC signals it meets
    (:attr:`Decision.owed`)."""

    element: Element
    #: One line: what giving the element means.
    requirement: str
    #: The met signals that ask for it, e.g. ``["cc-cr-op"]``.
    signals: list[str]
    #: The URL of CC's definition of the first of :attr:`signals`.
    definition: str

class DecisionDict(TypedDict):
    """:meth:`Decision.to_dict`: every field, in this order (the order of a
    ``ccsig decide --format jsonl`` record after its ``schema``)."""

    path: Optional[str]
    decision: DecisionWord
    usable: bool
    state: State
    met_signals: list[str]
    unmet_signals: list[str]
    owed: list[Owed]
    credit_name: Optional[str]
    credit_url: Optional[str]
    credit_missing: bool
    credit_looked_at: list[str]
    reason: str
    sources: list[str]

class Signals:
    """What one file says: every signal-bearing field, combined (most
    restrictive wins, as ``ccsig read`` shows)."""

    @property
    def format(self) -> Literal["jpeg", "png", "webp"]: ...
    @property
    def expression(self) -> Optional[str]:
        """The combined decisions as one expression of the vocabulary's
        labels (``train-ai=n;exceptions=cc-cr-op``), labels in alphabetical
        order; ``None`` when the file states nothing about any of them."""
    @property
    def decisions(self) -> dict[str, DecisionWord]:
        """Per usage label of the vocabulary (``train-ai``, ``search``;
        draft-08 adds ``ai-use``), the library's combined decision as a
        word, exactly as in ``ccsig read --format json``: ``allowed``
        (``y``), ``disallowed`` (``n``), ``allowed-with-terms`` (``n``
        unless you meet the terms of a CC signal listed in
        :attr:`exceptions`) or ``unknown``. These are what the file says, not
        a verdict for a pipeline: that needs what the pipeline gives, so use
        :func:`decide`."""
    @property
    def exceptions(self) -> dict[str, list[str]]:
        """Per label, the CC signals (``cc-cr``...) that lift its ``n``;
        empty unless the decision is ``allowed-with-terms``."""
    @property
    def credit_name(self) -> Optional[str]:
        """Who to credit: ccsig:creditName, cc:attributionName, dc:creator,
        EXIF Artist or IIM By-line, first found."""
    @property
    def credit_name_from(self) -> Optional[str]:
        """The field :attr:`credit_name` came from, e.g. ``XMP dc:creator``."""
    @property
    def credit_url(self) -> Optional[str]: ...
    @property
    def sources(self) -> list[tuple[str, str, str]]:
        """Every signal-bearing field: ``(field, value as stored,
        expression it stands for)``."""
    @property
    def c2pa(self) -> bool:
        """The file carries C2PA Content Credentials."""
    @property
    def c2pa_state(self) -> Optional[Literal["valid", "trusted", "invalid", "unreadable"]]:
        """How far the Content Credentials hold (None without them). Their
        training-and-data-mining entries are in :attr:`sources` as
        ``C2PA <assertion> <entry>``: a "no" counts whatever the state, an
        "allowed" only when they validate."""

class Decision:
    """May a pipeline use one file, and on what terms. The same fields as
    a ``ccsig decide`` record (``docs/schema.md``, schema ``ccsig/2``)."""

    @property
    def path(self) -> Optional[str]:
        """The file: the path given to :func:`decide`, or from
        :func:`decide_tree` / :func:`decide_listed` (``shard.tar:0001.jpg``
        for a shard member); ``None`` for bytes."""
    @property
    def decision(self) -> DecisionWord:
        """``allowed`` (the file says ``y``), ``allowed-with-terms`` (``n``
        except under a CC signal whose elements ``we_give`` gives),
        ``disallowed`` (``n`` with no exception, or none that is met) or
        ``unknown`` (see :attr:`state`)."""
    @property
    def usable(self) -> bool:
        """``allowed`` or ``allowed-with-terms``; an ``unknown`` only where
        the policy for its :attr:`state` allows it: ``no-signal`` under
        ``unknown="allow"``, ``unreadable`` and ``unsupported`` under
        ``unreadable="allow"``."""
    @property
    def state(self) -> State:
        """What the decision rests on: ``stated``, ``no-signal``,
        ``unreadable`` or ``unsupported`` (see :data:`State`)."""
    @property
    def met_signals(self) -> list[str]:
        """The CC signals whose terms the pipeline meets (and now owes);
        non-empty only with ``allowed-with-terms``."""
    @property
    def unmet_signals(self) -> list[str]:
        """The CC signals the file offers that the pipeline does not meet."""
    @property
    def owed(self) -> list[Owed]:
        """With ``allowed-with-terms``: one dict per element the met signals
        ask for, in CC's order, e.g. ``{"element": "credit", "requirement":
        "give appropriate credit, ...", "signals": ["cc-cr"], "definition":
        "https://github.com/creativecommons/cc-signals/..."}``; else empty."""
    @property
    def credit_name(self) -> Optional[str]:
        """Who to credit, when the pipeline owes credit."""
    @property
    def credit_url(self) -> Optional[str]:
        """Where to link the credit, when the pipeline owes credit."""
    @property
    def credit_missing(self) -> bool:
        """Credit is owed but the file names nobody to credit."""
    @property
    def credit_looked_at(self) -> list[str]:
        """With :attr:`credit_missing`: the fields searched for a name, in
        order (``XMP ccsig:creditName``, ``XMP cc:attributionName``, ``XMP
        dc:creator``, ``EXIF Artist``, ``IIM 2:80 By-line``); else empty."""
    @property
    def reason(self) -> str:
        """One line in words: why this decision. Its wording may change, but
        an ``unreadable`` decision's reason starts with ``unreadable: `` and
        an ``unsupported`` one's with ``unsupported format: `` (e.g.
        ``unsupported format: HEIF``)."""
    @property
    def sources(self) -> list[str]:
        """The fields whose statements decided it, in the order read (e.g.
        ``XMP ccsig:expression``, ``C2PA cawg.training-mining
        cawg.ai_training``)."""
    def to_dict(self) -> DecisionDict:
        """Every field as a plain dict, in the order of :class:`DecisionDict`
        (JSON-ready, picklable): a ``ccsig decide --format jsonl`` record
        without its ``schema``."""

class Finding:
    """One problem :func:`check` found in a file (see ``docs/audit.md``)."""

    @property
    def kind(self) -> str:
        """``missing``, ``malformed``, ``conflict``, ``legacy``,
        ``unknown_exception``, ``ignored``, ``unexpected``, ``unreadable``,
        ``stale_digest``, or informational ``credit``, ``licence``,
        ``signed``."""
    @property
    def severity(self) -> Literal["error", "warning", "note"]: ...
    @property
    def fields(self) -> list[str]:
        """The field(s) involved, e.g. ``XMP plus:DataMining``."""
    @property
    def message(self) -> str: ...
    def to_dict(self) -> dict[str, object]: ...

class WriteResult:
    """What :func:`apply` or :func:`remove` did to one file."""

    @property
    def change(
        self,
    ) -> Literal["written", "would_write", "removed", "would_remove", "kept", "unchanged"]: ...
    @property
    def notes(self) -> list[tuple[str, str]]:
        """``(severity, message)`` pairs, e.g. where the credit came from."""

class DecisionIterator(Iterator[Decision]):
    """The decisions of :func:`decide_tree`, in the order they are made."""

    def __iter__(self) -> "DecisionIterator": ...
    def __next__(self) -> Decision: ...
    @property
    def skipped(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of each file passed over so far: not an image
        (captions, JSON...), hidden, excluded, a link not followed."""
    def cancel(self) -> None:
        """Stops the walk; files already being read still yield."""

def read(
    file: File, *, vocabulary: VocabularyName = "draft-07", c2pa_trust: Optional[StrPath] = None
) -> Signals:
    """Reads the signals of one image: a path (XMP sidecars next to it
    included) or the file's bytes, with labels read against ``vocabulary``.
    ``c2pa_trust``: a PEM file of root certificates; C2PA Content
    Credentials are then ``trusted`` only when their signer chains to one,
    and only then does an ``allowed`` in them count (every function that
    reads takes it).

    Raises :class:`InvalidArgument` (unknown ``vocabulary``, a
    ``c2pa_trust`` file that holds no certificate, before the file is read), :class:`UnreadableImage` (not JPEG/PNG/WebP: ``kind``
    ``unsupported_format`` for an image format ccsig does not read,
    ``unknown_format``, ``empty``, ``truncated``, ``malformed``...) or
    :class:`AccessError` (cannot open).
    """

def decide(
    file: File,
    *,
    use: UseLabel = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Policy = "deny",
    unreadable: Policy = "deny",
    on_error: Literal["raise", "unknown"] = "raise",
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
    headers: Optional[Headers] = None,
    robots: Optional[str] = None,
    url: Optional[str] = None,
    user_agent: Optional[str] = None,
) -> Decision:
    """May a pipeline doing ``use`` and giving ``we_give`` use this file?

    A CC signal is met when the pipeline gives every element it names:
    ``we_give=["credit", "open"]`` meets ``cc-cr`` and ``cc-cr-op``.
    ``unknown`` says whether a file that was read and states nothing
    (``state`` ``no-signal``) is usable; ``unreadable`` whether a file that
    could not be read or is in a format ccsig does not read (``state``
    ``unreadable`` or ``unsupported``) is. They are separate on purpose:
    ``unknown="allow"`` never makes a damaged or HEIC file usable.

    ``on_error="raise"`` (the default) raises for a file that cannot be
    read; ``on_error="unknown"`` gives it an ``unknown`` decision instead
    (reason ``unreadable: ...`` or ``unsupported format: ...``), as
    :func:`decide_tree` and ``ccsig decide`` do.

    Every argument is checked before the file is read: raises
    :class:`InvalidArgument` for an unknown ``use`` label (for
    ``vocabulary``), element, policy, ``on_error`` or vocabulary, even when
    the file does not exist; then :class:`UnreadableImage` or
    :class:`AccessError` (with ``on_error="raise"``).

    ``headers`` (the HTTP response's fields, a mapping or (name, value)
    pairs), ``robots`` (the site's robots.txt text), ``url`` and
    ``user_agent``: what the image came with. Their ``Content-Usage``
    field and rules, and ``X-Robots-Tag``'s ``noai``/``noimageai``
    (``train-ai=n``) and ``noindex``/``noimageindex`` (``search=n``), are
    sources of the decision like the file's fields (the most restrictive
    wins; ``sources`` names them: ``HTTP X-Robots-Tag noai``, ``robots.txt
    line 12``). A "no" among them decides even a file that cannot be read.
    """

WebSource = Dict[str, Any]

#: ``fetch(offset, length) -> bytes``: the caller's ranged read.
Fetch = Callable[[int, int], bytes]
#: ``fetch_many([(offset, length), ...]) -> [bytes, ...]``: several at once.
FetchMany = Callable[[List[Tuple[int, int]]], Sequence[bytes]]

def read_ranged(
    fetch: Fetch,
    size: Optional[int] = None,
    *,
    fetch_many: Optional[FetchMany] = None,
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
) -> Signals:
    """:func:`read`, through ``fetch(offset, length)`` (an fsspec file, a
    ``requests`` Range GET, boto3's ``get_object(Range=...)``): only the
    ranges the read needs are fetched, and the answer is what reading the
    whole file gives. ``size`` (the file's length, when known) lets the
    first step ask for the head and the tail together (a JPEG needs no
    more: its first 64 KiB and last 4 KiB); without it, it is learnt from
    a fetch that comes back short. ``fetch_many``, when given, is called
    for a step's several ranges at once, so that they cost one round trip
    (a multi-range HTTP request, parallel GETs); it returns their bytes in
    order. A fetch that raises or brings nothing is retried a few times,
    then :class:`AccessError`."""

def decide_ranged(
    fetch: Fetch,
    size: Optional[int] = None,
    *,
    fetch_many: Optional[FetchMany] = None,
    use: UseLabel = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Policy = "deny",
    unreadable: Policy = "deny",
    on_error: Literal["raise", "unknown"] = "raise",
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
    headers: Optional[Headers] = None,
    robots: Optional[str] = None,
    url: Optional[str] = None,
    user_agent: Optional[str] = None,
) -> Decision:
    """:func:`decide`, reading through ``fetch`` as :func:`read_ranged` does;
    the decision's ``path`` is ``url``."""

class StreamDecider:
    """Decides for an image while it downloads, from its bytes in order.

    >>> d = ccsig.StreamDecider(size=int(resp.headers["Content-Length"]),
    ...                         headers=resp.headers, url=url, we_give=["credit"])
    >>> for chunk in resp.iter_content(65536):
    ...     decision = d.feed(chunk)
    ...     if decision is not None and not decision.usable:
    ...         break                    # stop the download here
    ... else:
    ...     decision = d.finish()        # the whole stream, end checked

    ``feed(chunk)`` returns the :class:`Decision` as soon as it is settled,
    else ``None``: a "no" in ``headers`` or ``robots`` settles it before
    any byte; a JPEG at its first scan (SOS); a TIFF, HEIF, AVIF or JPEG XL
    once its metadata is in, when ``size`` is given; a PNG or WebP (whose
    metadata may follow the image data) only at the end. An early decision
    is the one the whole file gives if the rest arrives whole; it cannot
    know that the rest will be cut short. ``finish()`` gives the decision
    for the whole stream (a JPEG's end marker is checked; a stream shorter
    or longer than ``size`` is unreadable). The keywords are
    :func:`decide`'s; the decision's ``path`` is ``url``. A JPEG's image
    data is never held in memory; a PNG or WebP is held until its end.
    """

    def __init__(
        self,
        *,
        size: Optional[int] = None,
        use: UseLabel = "train-ai",
        we_give: Optional[Elements] = None,
        unknown: Policy = "deny",
        unreadable: Policy = "deny",
        on_error: Literal["raise", "unknown"] = "raise",
        vocabulary: VocabularyName = "draft-07",
        c2pa_trust: Optional[StrPath] = None,
        headers: Optional[Headers] = None,
        robots: Optional[str] = None,
        url: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> None: ...
    def feed(self, chunk: bytes) -> Optional[Decision]:
        """The next chunk; the decision once settled, else ``None``."""
    def finish(self) -> Decision:
        """The decision for the whole stream, now that it has ended."""
    @property
    def waiting(self) -> Optional[str]:
        """What the decider waits for, in words; ``None`` once decided."""
    @property
    def received(self) -> int:
        """How many bytes have been fed."""

def parse_header(headers: Headers, *, user_agent: Optional[str] = None) -> List[WebSource]:
    """What an HTTP response's fields state: one dict per statement,
    ``field``, ``stored``, ``expression``, ``parsed``, ``problem``."""

def parse_robots(
    text: str, *, url: Optional[str] = None, user_agent: Optional[str] = None
) -> List[WebSource]:
    """The ``Content-Usage`` rules of a robots.txt that apply to
    ``user_agent`` fetching ``url``, as :func:`parse_header` gives them
    (``field`` ``robots.txt line N``)."""

def decide_tree(
    roots: Union[StrPath, Sequence[StrPath]],
    *,
    use: UseLabel = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Policy = "deny",
    unreadable: Policy = "deny",
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
    jobs: int = 0,
    hidden: bool = False,
    follow_links: bool = False,
    exclude: Sequence[str] = (),
    buffer: int = 1024,
) -> DecisionIterator:
    """Decides every image under ``roots`` (files, folders walked
    recursively, WebDataset tar shards ``.tar``/``.tar.gz``/``.tgz`` read
    member by member in place), reading on ``jobs`` threads in Rust (0: four
    per core, at least 8, as ``ccsig decide``) while the GIL is free, and
    yields each decision as soon as it is made, in walk order (the order
    ``ccsig decide`` prints). ``use``, ``we_give``, ``unknown``,
    ``unreadable`` and ``vocabulary`` are as for :func:`decide`.

    **Every image gets a decision**: one ccsig reads; one it cannot read
    (damaged, truncated, a missing root: ``state`` ``unreadable``, reason
    ``unreadable: ...``); one in a format it does not read, recognised by
    its bytes or its extension (HEIC/AVIF, TIFF/DNG, camera RAW such as
    ``.nef``/``.cr2``/``.raf``, JPEG XL, GIF, BMP, PSD: ``state``
    ``unsupported``, reason ``unsupported format: HEIF``...).
    ``Decision.path`` names the file, or ``shard.tar:member`` for a shard
    member. Files that are not images (captions, JSON, ``.cls``), hidden
    files (unless ``hidden``) and ``exclude`` globs get no decision and are
    listed in :attr:`DecisionIterator.skipped`. At most ``buffer`` decisions
    wait for the consumer; the walk pauses while the buffer is full, and
    stops when the iterator is dropped or :meth:`DecisionIterator.cancel`
    is called.

    Raises :class:`InvalidArgument` for an unknown label, element, policy
    or vocabulary, or a bad ``exclude`` glob, when called (not at the first
    ``next()``), before any file is read.
    """

class _BinaryReader(Protocol):
    def read(self, n: int = ..., /) -> bytes: ...

def decide_listed(
    name: str,
    data: Union[bytes, bytearray, _BinaryReader],
    *,
    use: UseLabel = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Policy = "deny",
    unreadable: Policy = "deny",
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
    hidden: bool = False,
    exclude: Sequence[str] = (),
) -> list[Decision]:
    """Decides one file of a listing made elsewhere, held in memory (e.g. a
    ``(path, bytes)`` pair from Spark's ``binaryFiles``), exactly as
    :func:`decide_tree` would had it found the file in a folder: an image
    (readable, damaged, or in a format ccsig does not read) gives one
    decision; a tar shard (by its name ``.tar``/``.tar.gz``/``.tgz``, or by
    its bytes) one decision per image member, in archive order, with paths
    ``name:member``; anything else (captions, JSON) none. ``hidden`` and
    ``exclude`` filter shard members. Raises :class:`InvalidArgument` for a
    bad argument before ``data`` is looked at.

    ``data`` may also be a binary file object (an ``open(..., "rb")`` file,
    an fsspec or pyarrow file on HDFS or S3), read once to its end: a shard
    streams member by member and is never held whole, nor is a JPEG
    member's image data.
    """

def apply(
    path: StrPath,
    *,
    signal: Optional[SignalCode] = None,
    expression: Optional[str] = None,
    use: Optional[UseLabel] = None,
    credit_name: Optional[str] = None,
    credit_url: Optional[str] = None,
    dry_run: bool = False,
    sidecar: bool = False,
    sidecar_style: Optional[Literal["lightroom", "darktable"]] = None,
    iim: bool = False,
    allow_breaking_c2pa: bool = False,
    keep_existing: bool = False,
    break_hardlinks: bool = False,
    preserve_mtime: bool = False,
    vocabulary: VocabularyName = "draft-07",
    force: bool = False,
    c2pa_sign: Optional[StrPath] = None,
    c2pa_key: Optional[StrPath] = None,
    c2pa_alg: str = "es256",
) -> WriteResult:
    """Writes ``<use>=n;exceptions=<signal>`` (``use`` defaults to
    ``train-ai``) or ``expression`` into the image at ``path``, atomically,
    and into its XMP sidecars; like ``ccsig apply``. Give ``signal`` or
    ``expression``; ``use`` goes with ``signal`` only (an expression names
    its own labels). ``keep_existing`` leaves a file that already states a
    preference alone (``change`` is then ``kept``). A file with other hard
    links is refused (:class:`WriteError`, kind ``refused``) unless
    ``break_hardlinks``, in which case this name gets the new content and
    the other names keep the old; ``preserve_mtime`` gives the rewritten
    file its original modification and access times. An ``expression``
    that ``check`` would flag (a legacy or unknown label, a malformed value)
    is refused unless ``force=True``, which writes it exactly as given.

    Camera RAW and other images ccsig does not write (``Signals.format``
    names them, e.g. ``"Nikon NEF"``) are tagged through their XMP
    sidecar, as ``sidecar=True`` tags a JPEG: the one that exists, or a new
    ``IMG_0001.xmp`` (``sidecar_style="darktable"``: ``IMG_0001.NEF.xmp``;
    a new JPEG, PNG or WebP sidecar is ``photo.jpg.xmp`` unless
    ``sidecar_style="lightroom"``). A path ending in ``.xmp`` is a sidecar
    named directly, read and written as such.

    With ``c2pa_sign`` (the signer's PEM certificate chain, signer first)
    and ``c2pa_key`` (its PEM private key; ``c2pa_alg`` one of es256,
    es384, es512, ps256, ps384, ps512, ed25519), the file is signed with new
    C2PA Content Credentials: a manifest recording the metadata edit and
    stating the signal in a ``cawg.training-mining`` assertion, whose parent
    ingredient is the file as it was (so an earlier manifest stays
    verifiable). Without them, a file that carries Content Credentials is
    refused (:class:`WriteError`, kind ``refused``). A key that cannot sign
    raises :class:`InvalidArgument` before the file is opened.

    Raises, before the file is opened, :class:`InvalidArgument` (``signal``
    not a CC signal code, ``use`` not a label of ``vocabulary``, ``use``
    with ``expression``, neither or both of ``signal``/``expression``, an
    unknown vocabulary) or :class:`InvalidExpression`; then
    :class:`UnreadableImage`, :class:`AccessError`, :class:`WriteError`
    (e.g. C2PA-signed: kind ``refused``). The file is untouched whenever an
    exception is raised.
    """

def apply_bytes(
    data: bytes,
    *,
    signal: Optional[SignalCode] = None,
    expression: Optional[str] = None,
    use: Optional[UseLabel] = None,
    credit_name: Optional[str] = None,
    credit_url: Optional[str] = None,
    iim: bool = False,
    allow_breaking_c2pa: bool = False,
    vocabulary: VocabularyName = "draft-07",
    force: bool = False,
    c2pa_sign: Optional[StrPath] = None,
    c2pa_key: Optional[StrPath] = None,
    c2pa_alg: str = "es256",
) -> bytes:
    """:func:`apply` for an image held in memory: returns the new bytes
    (``data`` itself when it already says exactly that), signed with new
    Content Credentials when ``c2pa_sign`` and ``c2pa_key`` are given.
    Arguments are checked as for :func:`apply`, before ``data`` is read."""

def remove(
    path: StrPath,
    *,
    dry_run: bool = False,
    sidecar: bool = False,
    break_hardlinks: bool = False,
    preserve_mtime: bool = False,
    c2pa_sign: Optional[StrPath] = None,
    c2pa_key: Optional[StrPath] = None,
    c2pa_alg: str = "es256",
) -> WriteResult:
    """Removes what ccsig wrote (and nothing else) from the image at
    ``path`` and its XMP sidecars, atomically. With ``c2pa_sign`` and
    ``c2pa_key`` (as for :func:`apply`) the file is signed with new Content
    Credentials that state no preference: the earlier one stays, as
    history, in the parent ingredient."""

def remove_bytes(data: bytes) -> bytes:
    """:func:`remove` for an image held in memory (``data`` itself when
    there is nothing to remove)."""

def check(
    file: File,
    *,
    expect: Optional[str] = None,
    force: bool = False,
    vocabulary: VocabularyName = "draft-07",
    c2pa_trust: Optional[StrPath] = None,
) -> list[Finding]:
    """Audits one image (path or bytes): every way its signal is missing,
    malformed, legacy, contradictory, or (with ``expect``) not the expected
    expression. An unreadable file gives one ``unreadable`` finding rather
    than an exception; an empty list means nothing to report.

    ``expect`` is held to the rule ``ccsig check --expect`` holds it to: an
    expression ``check`` would itself flag (it does not parse, names a label
    no draft defines such as ``train_ai``, or a legacy one such as ``tdm``)
    raises :class:`InvalidExpression` before the file is read, unless
    ``force=True`` (then it is compared as given).

    Raises :class:`InvalidExpression` (``expect``) or
    :class:`InvalidArgument` (``vocabulary``), never for the file itself.
    """
