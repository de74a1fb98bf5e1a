"""The one error type the runtime raises: `RuntimeFault`, a kind plus a bounded, redacted message.

Callers (the CLI, `serve`, library users) branch on `.kind`; the message is safe to print because
it is bounded to 512 bytes and secret-like values are redacted when the fault is made (spec §6.12).
"""

from __future__ import annotations

from engine.diagnostics import bounded_message, redact_secret_like
from engine.errors import EngineError, fault_error_kind

FAULT_KINDS = frozenset(
    {
        "not_found",
        "denied",
        "invalid_input",
        "invalid_output",
        "busy",
        "stopped",
        "failed",
        "timeout",
        "trap",
        "fuel",
        "limit",
        "load",
        "internal",
    }
)
# Faults that mean the guest's store can no longer be trusted: the instance is marked failed.
FATAL_KINDS = frozenset({"timeout", "trap", "fuel", "limit", "internal"})


def bounded(text: str) -> str:
    """Redact, then bound to 512 bytes (control characters become spaces)."""
    return bounded_message(redact_secret_like(text))


class RuntimeFault(EngineError):
    """A refused or failed runtime operation; `kind` is one of FAULT_KINDS (its error kind:
    engine.errors.FAULT_ERROR_KINDS)."""

    def __init__(self, kind: str, message: str, category: str | None = None) -> None:
        if kind not in FAULT_KINDS:
            kind, message = "internal", f"unknown fault kind {kind!r}: {message}"
        self.kind = kind
        self.message = bounded(message)
        # the reference's error category (spec §6.12) when the kind alone does not say it: a
        # `load` fault is a package error unless raised as a "module" error (compile, imports)
        self.category = category
        super().__init__(self.message, error_kind=fault_error_kind(kind))

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}

    def __repr__(self) -> str:
        return f"RuntimeFault({self.kind!r}, {self.message!r})"
