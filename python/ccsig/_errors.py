"""The exceptions ccsig raises. The native module raises these classes by
name, so their names are part of the binding's contract."""

from __future__ import annotations

from typing import Optional

__all__ = [
    "CcsigError",
    "UnreadableImage",
    "AccessError",
    "InvalidArgument",
    "InvalidExpression",
    "WriteError",
    "InternalError",
]


class CcsigError(Exception):
    """Base class of every error ccsig raises.

    ``kind`` names the cause in a stable word, e.g. ``truncated``,
    ``unknown_format``, ``unsupported_format``, ``empty``, ``malformed``,
    ``io``, ``refused``, ``validation``, ``expression``, ``argument`` or
    ``panic``. ``path`` is the file the error is about, when a path was
    given.
    """

    kind: str
    path: Optional[str]

    def __init__(
        self, message: str, kind: str = "error", path: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = None if path is None else str(path)


class UnreadableImage(CcsigError):
    """The bytes are not an image ccsig reads (``kind`` says which):
    ``unsupported_format`` (an image in a format ccsig does not read: HEIF,
    AVIF, TIFF, GIF, camera RAW...), ``unknown_format`` (not an image ccsig
    recognises), ``empty``, ``truncated`` or ``malformed``."""


class AccessError(CcsigError, OSError):
    """The file (or a folder to walk) could not be opened or read: missing,
    no permission, an I/O error. Also an ``OSError``."""


class InvalidArgument(CcsigError, ValueError):
    """An argument the library rejects, raised before any file is read or
    touched: a usage label that is not one of the vocabulary's
    (``train_ai``, ``Train-AI``, ``ai-use`` under draft-07), an unknown
    signal element or CC signal code, policy (``unknown``, ``unreadable``,
    ``on_error``) or vocabulary. The message names the keyword, the value,
    the accepted values and, when one is close, the nearest::

        use: "train_ai" is not a usage label of draft-07 (expected one of:
        train-ai, search); did you mean "train-ai"?

    ``kind`` is ``argument``. Also a ``ValueError``."""


class InvalidExpression(InvalidArgument):
    """A content-usage expression that does not parse, or is not fit to
    write (``apply``'s ``expression``) or to expect (``check``'s
    ``expect``, unless ``force=True``): e.g. one naming a label no draft
    defines (``train_ai=n``) or a legacy one (``tdm=n``). ``kind`` is
    ``expression``."""


class WriteError(CcsigError):
    """``apply``/``remove`` left the file untouched: refused (e.g. C2PA
    Content Credentials, ``kind='refused'``), the new file failed
    validation, the XMP cannot be updated, or the write itself failed."""


class InternalError(CcsigError):
    """A bug in ccsig (a Rust panic, caught before it reached the
    interpreter). Please report it with the file that caused it."""
