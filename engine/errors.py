"""One error model: every error the engine's library raises is an `EngineError` with a kind.

The kind says what went wrong in terms a caller acts on, not how the command should exit: the
library holds no exit codes. The CLI maps kinds to exit codes in one table
(engine/cli/exits.py); `serve` and library users branch on the kind (or, for runtime faults and
host refusals, on their finer `kind` string, which maps onto these). docs/architecture.md lists
the kinds with their exit codes.

Exceptions that never leave the module that raises them (parser control flow such as
`_ProtocolError` or wit's `Problem`) are not library errors and need not derive from this; a test
(tests/core/test_errors.py) holds the list of such exceptions, each with its reason.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What kind of failure an error is. The value is what JSON and logs show."""

    USAGE = "usage"
    """The command was called wrongly: a bad argument, an unknown or ambiguous package reference,
    an unknown template, a path that is not what the command takes."""
    INPUT = "input"
    """An input the operator gave is malformed: the enablement config, a facts file, policy
    tests, a JSON argument."""
    POLICY_LOAD = "policy-load"
    """Policy rules do not load: syntax, arity, unsafe variables, unknown predicates, a policy
    folder without rules."""
    IO = "io"
    """A file or folder could not be read or written (missing, unreadable, unwritable)."""
    REJECTED = "rejected"
    """What is under review fails it: a package that is invalid, WIT that does not resolve."""
    DENIED = "denied"
    """The host refuses: a package or host API not in the plan, not planned, busy or stopped."""
    FAILED = "failed"
    """The work ran and failed: a plugin trapped, timed out, ran out of fuel, broke a limit or
    answered badly; a build did not produce its artifact."""
    INTERNAL = "internal"
    """A bug or a broken installation: never the input's fault."""


class EngineError(Exception):
    """Base of every library error. `error_kind` is the class's kind unless the raiser says
    otherwise (`error_kind=`); subclasses keep their own constructors and fields."""

    error_kind: ErrorKind = ErrorKind.INTERNAL

    def __init__(self, *args: object, error_kind: ErrorKind | None = None) -> None:
        super().__init__(*args)
        if error_kind is not None:
            self.error_kind = error_kind


# The finer kinds of runtime faults and host refusals (`RuntimeFault.kind`, `HostError.kind`:
# what `serve` answers with), as error kinds. A kind missing here is `internal` (a test checks
# that every fault kind the runtime declares is listed).
FAULT_ERROR_KINDS: dict[str, ErrorKind] = {
    "invalid_input": ErrorKind.INPUT,
    "invalid_request": ErrorKind.INPUT,
    "not_found": ErrorKind.DENIED,
    "denied": ErrorKind.DENIED,
    "busy": ErrorKind.DENIED,
    "stopped": ErrorKind.DENIED,
    "invalid_output": ErrorKind.FAILED,
    "failed": ErrorKind.FAILED,
    "timeout": ErrorKind.FAILED,
    "trap": ErrorKind.FAILED,
    "fuel": ErrorKind.FAILED,
    "limit": ErrorKind.FAILED,
    "load": ErrorKind.FAILED,
    "internal": ErrorKind.INTERNAL,
}


def fault_error_kind(fault_kind: str) -> ErrorKind:
    return FAULT_ERROR_KINDS.get(fault_kind, ErrorKind.INTERNAL)


class UnknownReference(EngineError, LookupError):
    """A package reference the user gave names no package, or more than one (`show`, `explain`,
    `graph`). A LookupError too, for callers that catch that."""

    error_kind = ErrorKind.USAGE
