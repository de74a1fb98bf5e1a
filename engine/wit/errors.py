"""WIT errors: every problem is a Diagnostic (kind and phase "wit") with file, line and column."""

from __future__ import annotations

from engine.diagnostics import Diagnostic, DiagnosticError, Location
from engine.errors import ErrorKind


class WitError(DiagnosticError):
    """Raised by the WIT front end; `.diagnostics` lists every problem found (at least one).
    WIT that does not resolve is `rejected`; a file or folder that cannot be read is `io`
    (`wit_io_error`)."""

    error_kind = ErrorKind.REJECTED


def wit_diagnostic(message: str, file: str | None, line: int | None = None, column: int | None = None) -> Diagnostic:
    """One-line, bounded diagnostic pointing at `file:line:column`."""
    return Diagnostic(
        kind="wit",
        phase="wit",
        message=" ".join(message.split()),
        location=Location(file=file, line=line, column=column),
    )


def io_diagnostic(message: str, file: str | None) -> Diagnostic:
    """A file or folder that cannot be read (code `wit.io`)."""
    return Diagnostic(kind="wit", phase="wit", message=message, code="wit.io", location=Location(file=file))


def wit_io_error(message: str, file: str | None) -> WitError:
    """The error for a file or folder that cannot be read (kind `io`)."""
    return WitError([io_diagnostic(message, file)], error_kind=ErrorKind.IO)


class Problem(Exception):
    """Internal: a problem at a position in the file being parsed or resolved."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def diagnostic(self, file: str | None) -> Diagnostic:
        return wit_diagnostic(self.message, file, self.line, self.column)
