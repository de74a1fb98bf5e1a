"""Source-qualified plugin ids (`user:<id>`, `project:<id>`, `builtin:<id>`), spec §3.2.

Enablements and grant bindings name packages by these refs; parsing them strictly is what makes
an unqualified or mistyped id fail closed instead of matching the wrong store.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import EngineError, ErrorKind
from engine.package.ids import is_safe_id
from engine.package.model import SOURCES

AMBIGUOUS_MESSAGE = "plugin enablement id must be source-qualified as user:<id>, project:<id>, or builtin:<id>"
MALFORMED_MESSAGE = "plugin enablement id is not a valid source-qualified plugin id"


class RefError(EngineError, ValueError):
    """A ref that does not parse; `kind` is the resolution diagnostic kind (ambiguous|malformed).

    `reason` keeps the reference's finer variant (unqualified, invalid_local_id, invalid_source).
    """

    error_kind = ErrorKind.INPUT

    def __init__(self, kind: str, message: str, reason: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.reason = reason


@dataclass(frozen=True, order=True)
class PluginRef:
    """A parsed source-qualified id; identity of a discovered package is (source, manifest id)."""

    source: str
    local_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.local_id}"


def parse_ref(text: str) -> PluginRef:
    """Split at the first `:`; the source must be a known store and the local part a safe id."""
    if not isinstance(text, str) or ":" not in text:
        raise RefError("ambiguous", AMBIGUOUS_MESSAGE, "unqualified")
    source, local_id = text.split(":", 1)
    if not local_id or ":" in local_id or not is_safe_id(local_id):
        raise RefError("malformed", MALFORMED_MESSAGE, "invalid_local_id")
    if source not in SOURCES:
        raise RefError("malformed", MALFORMED_MESSAGE, "invalid_source")
    return PluginRef(source, local_id)


def try_parse_ref(text: str) -> PluginRef | None:
    """parse_ref, or None for text that is not a valid source-qualified id (reports use this
    where an invalid id is shown as it is, not rejected)."""
    try:
        return parse_ref(text)
    except RefError:
        return None
