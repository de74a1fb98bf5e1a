"""Exit codes, in one place: 0 ok, 1 policy failure, 2 usage or input error.

Library errors carry an `ErrorKind` (engine/errors.py), never an exit code. `EXIT_CODES` turns a
kind into the code a command exits with; `common.fail` is how a command ends with one. Verdicts
(a rejected package, a failed policy test) exit 1 as `rejected` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.errors import EngineError, ErrorKind

EXIT_CODES: Mapping[ErrorKind, int] = MappingProxyType(
    {
        ErrorKind.USAGE: 2,
        ErrorKind.INPUT: 2,
        ErrorKind.POLICY_LOAD: 2,
        ErrorKind.IO: 2,
        ErrorKind.REJECTED: 1,
        ErrorKind.DENIED: 1,
        ErrorKind.FAILED: 1,
        ErrorKind.INTERNAL: 2,
    }
)
EXIT_OK = 0
EXIT_POLICY = EXIT_CODES[ErrorKind.REJECTED]
EXIT_USAGE = EXIT_CODES[ErrorKind.USAGE]


def exit_code(kind: ErrorKind) -> int:
    return EXIT_CODES[kind]


def kind_of(error: BaseException) -> ErrorKind:
    """The error's kind; anything that is not a library error is a bug (`internal`)."""
    return error.error_kind if isinstance(error, EngineError) else ErrorKind.INTERNAL
