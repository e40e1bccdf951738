"""ccsig: read, decide on, write and audit Creative Commons CC signals
(AI-use preferences) in JPEG, PNG and WebP metadata, without re-encoding.

Every function releases the GIL while it reads, parses or writes.
"""

import os
from typing import Iterable, Iterator, Literal, Optional, Sequence, Union

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

StrPath = Union[str, "os.PathLike[str]"]
#: A file: its path, or its bytes (``bytes`` are read in place; a
#: ``bytearray`` is copied first).
File = Union[StrPath, bytes, bytearray]
#: What the pipeline gives in return: element names (``credit``,
#: ``direct-contribution``, ``ecosystem-contribution``, ``open``), as a list
#: or one comma-separated string.
Elements = Union[Iterable[str], str]
DecisionWord = Literal["allowed", "allowed-with-terms", "disallowed", "unknown"]

class Signals:
    """What one file says: every signal-bearing field, combined (most
    restrictive wins, as ``ccsig read`` shows)."""

    @property
    def format(self) -> Literal["jpeg", "png", "webp"]: ...
    @property
    def expression(self) -> Optional[str]:
        """The combined decisions as one expression of the current labels
        (``train-ai=n;exceptions=cc-cr-op``), labels in alphabetical order;
        ``None`` when the file states nothing about any current label."""
    @property
    def decisions(self) -> dict[str, Literal["allowed", "disallowed", "allowed_if", "unknown"]]:
        """Per current usage label (``train-ai``, ``search``), the library's
        combined decision as a word, exactly as in ``ccsig read --format
        json``: ``allowed`` (``y``), ``disallowed`` (``n``), ``allowed_if``
        (``n`` unless you meet the terms of a CC signal listed in
        :attr:`exceptions`) or ``unknown``. These are what the file says, not
        a verdict for a pipeline: that needs what the pipeline gives, so use
        :func:`decide` (``allowed-with-terms`` and friends)."""
    @property
    def exceptions(self) -> dict[str, list[str]]:
        """Per current label, the CC signals (``cc-cr``...) that lift its
        ``n``; empty unless the decision is ``allowed_if``."""
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

class Decision:
    """May a pipeline use one file, and on what terms."""

    @property
    def path(self) -> Optional[str]:
        """The file: the path given to :func:`decide`, or from
        :func:`decide_tree` / :func:`decide_shard` (``shard.tar:0001.jpg`` for
        a shard member); ``None`` for bytes."""
    @property
    def decision(self) -> DecisionWord:
        """``allowed`` (the file says ``y``), ``allowed-with-terms`` (``n``
        except under a CC signal whose terms ``we_give`` meets),
        ``disallowed`` or ``unknown`` (nothing stated, or unreadable)."""
    @property
    def usable(self) -> bool:
        """Allowed, allowed with terms, or unknown under ``unknown="allow"``."""
    @property
    def met_signals(self) -> list[str]:
        """The CC signals whose terms the pipeline meets (and now owes)."""
    @property
    def unmet_signals(self) -> list[str]:
        """The CC signals the file offers that the pipeline does not meet."""
    @property
    def credit_name(self) -> Optional[str]:
        """Who to credit, when the pipeline owes credit."""
    @property
    def credit_url(self) -> Optional[str]: ...
    @property
    def reason(self) -> str:
        """One line in words: why this decision."""
    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (JSON-ready, picklable)."""

class Finding:
    """One problem :func:`check` found in a file (see ``docs/audit.md``)."""

    @property
    def kind(self) -> str:
        """``missing``, ``malformed``, ``conflict``, ``legacy``,
        ``unknown_exception``, ``ignored``, ``unexpected``, ``unreadable``,
        ``stale_digest``, or informational ``credit``, ``licence``,
        ``signed``."""
    @property
    def severity(self) -> Literal["error", "warning", "info"]: ...
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
        """``(path, reason)`` of each file skipped so far (not an image,
        hidden, excluded...)."""
    def cancel(self) -> None:
        """Stops the walk; files already being read still yield."""

def read(file: File) -> Signals:
    """Reads the signals of one image: a path (XMP sidecars next to it
    included) or the file's bytes.

    Raises :class:`UnreadableImage` (not JPEG/PNG/WebP, truncated,
    malformed) or :class:`AccessError` (cannot open).
    """

def decide(
    file: File,
    *,
    use: str = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Literal["deny", "allow"] = "deny",
    on_error: Literal["raise", "unknown"] = "raise",
) -> Decision:
    """May a pipeline doing ``use`` and giving ``we_give`` use this file?

    A CC signal is met when the pipeline gives every element it names:
    ``we_give=["credit", "open"]`` meets ``cc-cr`` and ``cc-cr-op``.
    ``unknown`` says whether a file that states nothing is usable.
    With ``on_error="unknown"`` an unreadable file gives an ``unknown``
    decision (reason ``unreadable: ...``) instead of raising, as
    :func:`decide_tree` and ``ccsig decide`` do.

    Raises :class:`InvalidArgument` (unknown element or policy),
    :class:`UnreadableImage`, :class:`AccessError`.
    """

def decide_tree(
    roots: Union[StrPath, Sequence[StrPath]],
    *,
    use: str = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Literal["deny", "allow"] = "deny",
    jobs: int = 0,
    hidden: bool = False,
    follow_links: bool = False,
    exclude: Sequence[str] = (),
    buffer: int = 1024,
) -> DecisionIterator:
    """Decides every image under ``roots`` (files, folders walked
    recursively, WebDataset tar shards ``.tar``/``.tar.gz``/``.tgz`` read
    member by member in place), reading on ``jobs`` threads in Rust (0: four
    per core, at least 8, as ``ccsig decide``) while the GIL is free, and yields each decision as soon as it
    is made, in walk order (the order ``ccsig decide`` prints).

    ``Decision.path`` names the file, or ``shard.tar:member`` for a shard
    member. An image that cannot be read (damaged, a missing root) yields an
    ``unknown`` decision whose reason starts with ``unreadable:``; files
    that are not images (captions, JSON, GIFs), hidden files (unless
    ``hidden``) and ``exclude`` globs are passed over and listed in
    :attr:`DecisionIterator.skipped`. At most ``buffer`` decisions wait for
    the consumer; the walk pauses while the buffer is full, and stops when
    the iterator is dropped or :meth:`DecisionIterator.cancel` is called.

    Raises :class:`InvalidArgument` for an unknown element or policy, or a
    bad ``exclude`` glob.
    """

def decide_listed(
    name: str,
    data: Union[bytes, bytearray],
    *,
    use: str = "train-ai",
    we_give: Optional[Elements] = None,
    unknown: Literal["deny", "allow"] = "deny",
    hidden: bool = False,
    exclude: Sequence[str] = (),
) -> list[Decision]:
    """Decides one file of a listing made elsewhere, held in memory (e.g. a
    ``(path, bytes)`` pair from Spark's ``binaryFiles``), exactly as
    :func:`decide_tree` would had it found the file in a folder: an image
    gives one decision; a tar shard (by its name ``.tar``/``.tar.gz``/
    ``.tgz``, or by its bytes) one decision per image member, in archive
    order, with paths ``name:member``; a damaged image an ``unknown``
    decision; anything else (captions, JSON, GIFs) none. ``hidden`` and
    ``exclude`` filter shard members.
    """

def apply(
    path: StrPath,
    *,
    signal: Optional[Literal["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"]] = None,
    expression: Optional[str] = None,
    use: str = "train-ai",
    credit_name: Optional[str] = None,
    credit_url: Optional[str] = None,
    dry_run: bool = False,
    sidecar: bool = False,
    iim: bool = False,
    allow_breaking_c2pa: bool = False,
    keep_existing: bool = False,
    break_hardlinks: bool = False,
    preserve_mtime: bool = False,
) -> WriteResult:
    """Writes ``<use>=n;exceptions=<signal>`` (or ``expression``, exactly as
    given) into the image at ``path``, atomically, and into its XMP
    sidecars; like ``ccsig apply``. Give ``signal`` or ``expression``.
    ``keep_existing`` leaves a file that already states a preference alone
    (``change`` is then ``kept``). A file with other hard links is refused
    (:class:`WriteError`, kind ``refused``) unless ``break_hardlinks``, in
    which case this name gets the new content and the other names keep
    the old; ``preserve_mtime`` gives the rewritten file its original
    modification and access times.

    Raises :class:`InvalidArgument` (unknown signal, ``use`` not a current
    label), :class:`InvalidExpression`, :class:`UnreadableImage`,
    :class:`AccessError`, :class:`WriteError` (e.g. C2PA-signed: kind
    ``refused``). The file is untouched whenever an exception is raised.
    """

def apply_bytes(
    data: bytes,
    *,
    signal: Optional[Literal["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"]] = None,
    expression: Optional[str] = None,
    use: str = "train-ai",
    credit_name: Optional[str] = None,
    credit_url: Optional[str] = None,
    iim: bool = False,
    allow_breaking_c2pa: bool = False,
) -> bytes:
    """:func:`apply` for an image held in memory: returns the new bytes
    (``data`` itself when it already says exactly that)."""

def remove(
    path: StrPath,
    *,
    dry_run: bool = False,
    sidecar: bool = False,
    break_hardlinks: bool = False,
    preserve_mtime: bool = False,
) -> WriteResult:
    """Removes what ccsig wrote (and nothing else) from the image at
    ``path`` and its XMP sidecars, atomically."""

def remove_bytes(data: bytes) -> bytes:
    """:func:`remove` for an image held in memory (``data`` itself when
    there is nothing to remove)."""

def check(file: File, *, expect: Optional[str] = None) -> list[Finding]:
    """Audits one image (path or bytes): every way its signal is missing,
    malformed, legacy, contradictory, or (with ``expect``) not the expected
    expression. An unreadable file gives one ``unreadable`` finding rather
    than an exception; an empty list means nothing to report.

    Raises :class:`InvalidExpression` when ``expect`` does not parse.
    """
