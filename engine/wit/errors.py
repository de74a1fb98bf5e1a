"""WIT errors: every problem is a Diagnostic (kind and phase "wit") with file, line and column."""

from __future__ import annotations

from engine.diagnostics import Diagnostic, DiagnosticError, Location


class WitError(DiagnosticError):
    """Raised by the WIT front end; `.diagnostics` lists every problem found (at least one)."""


def wit_diagnostic(message: str, file: str | None, line: int | None = None, column: int | None = None) -> Diagnostic:
    """One-line, bounded diagnostic pointing at `file:line:column`."""
    return Diagnostic(
        kind="wit",
        phase="wit",
        message=" ".join(message.split()),
        location=Location(file=file, line=line, column=column),
    )


def io_diagnostic(message: str, file: str | None) -> Diagnostic:
    """A file or folder that cannot be read (code `wit.io`: the CLI exits 2 for these)."""
    return Diagnostic(kind="wit", phase="wit", message=message, code="wit.io", location=Location(file=file))


class Problem(Exception):
    """Internal: a problem at a position in the file being parsed or resolved."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def diagnostic(self, file: str | None) -> Diagnostic:
        return wit_diagnostic(self.message, file, self.line, self.column)
