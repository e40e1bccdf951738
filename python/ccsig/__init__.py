"""ccsig: read, decide on, write and audit Creative Commons CC signals
(AI-use preferences) in JPEG, PNG and WebP metadata, without re-encoding.

A binding of the ccsig Rust library; every function releases the GIL while
it reads, parses or writes, so threads scale.

>>> import ccsig
>>> d = ccsig.decide("photo.jpg", use="train-ai", we_give=["credit", "open"])
>>> d.decision, d.usable, d.credit_name
('allowed-with-terms', True, 'Ada')
"""

from ._errors import (
    AccessError,
    CcsigError,
    InternalError,
    InvalidArgument,
    InvalidExpression,
    UnreadableImage,
    WriteError,
)
from ._ccsig import (
    Decision,
    DecisionIterator,
    Finding,
    Signals,
    StreamDecider,
    WriteResult,
    __version__,
    apply,
    apply_bytes,
    check,
    decide,
    decide_listed,
    decide_ranged,
    decide_tree,
    parse_header,
    parse_robots,
    read,
    read_ranged,
    remove,
    remove_bytes,
)

__all__ = [
    "AccessError",
    "CcsigError",
    "Decision",
    "DecisionIterator",
    "Finding",
    "InternalError",
    "InvalidArgument",
    "InvalidExpression",
    "Signals",
    "StreamDecider",
    "UnreadableImage",
    "WriteError",
    "WriteResult",
    "__version__",
    "apply",
    "apply_bytes",
    "check",
    "decide",
    "decide_listed",
    "decide_ranged",
    "decide_tree",
    "parse_header",
    "parse_robots",
    "read",
    "read_ranged",
    "remove",
    "remove_bytes",
]
