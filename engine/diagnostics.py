"""The one diagnostic type used end to end (DESIGN decision 4), with bounding and redaction.

Every stage (archive, manifest, grants, WIT, rules, runtime) reports problems as `Diagnostic`
values. Messages are bounded when a diagnostic is made, so no stage can leak a megabyte of file
content or a secret into a report by accident. Bounding cuts at a character boundary (the
reference cuts at a byte offset and can split a UTF-8 character, spec §6.12).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from engine.errors import EngineError, ErrorKind

ELLIPSIS = "\u2026"
CLI_TEXT_LIMIT_CHARS = 240  # spec §4.6 bound_text
MANIFEST_MESSAGE_LIMIT_BYTES = 240  # spec §1.1
MESSAGE_LIMIT_BYTES = 512  # spec §6.12 bounded_message

# Resolution/discovery kinds of spec §3.7 plus the ones check/list add.
KINDS = frozenset(
    {
        "missing",
        "duplicate",
        "ambiguous",
        "version",
        "digest",
        "api",
        "surface",
        "grant",
        "malformed",
        "traversal",
        "bounds",
        "io",
        "placeholder",
        "static_eligibility",
        "schema",
        "wit",
        "rule",
        "abi",
        "usage",
    }
)
PHASES = frozenset({"discovery", "manifest", "resolution", "runtime", "wit", "rules", "artifact", "config"})
SEVERITIES = ("error", "warning", "info")

_SECRET_WORDS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "api-key",
    "token",
    "secret",
    "password",
)
# Words after which the next run is a credential scheme, not the credential itself: redacting
# only `Bearer` would leave the token visible (the reference does exactly that).
_AUTH_SCHEMES = frozenset({"bearer", "basic", "digest", "token", "negotiate"})
_SECRET_RE = re.compile(
    "(" + "|".join(re.escape(w) for w in _SECRET_WORDS) + r")(?![A-Za-z0-9_])([ =:\t]*)"
    r"(?:(" + "|".join(_AUTH_SCHEMES) + r") +(?=[^ ,;\n\r])|)([^ ,;\n\r]*)",
    re.IGNORECASE,
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What can forge or hide text on a terminal: C0/C1 controls (ESC starts ANSI sequences, CR
# rewrites a line), line/paragraph separators, bidi marks, embeddings, overrides and isolates
# (U+061C, U+200E/F, U+202A-E, U+2066-9), zero-width characters (U+200B-D, U+2060, U+FEFF)
# and lone surrogates (which cannot even be written to a UTF-8 terminal).
_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def truncate_utf8(text: str, limit_bytes: int) -> str:
    """Cut `text` to at most `limit_bytes` UTF-8 bytes without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit_bytes:
        return text
    return data[:limit_bytes].decode("utf-8", errors="ignore")


def bound_bytes(text: str, limit_bytes: int) -> str:
    """Cap at `limit_bytes` (character boundary) and mark the cut with an ellipsis."""
    if len(text.encode("utf-8")) <= limit_bytes:
        return text
    return truncate_utf8(text, limit_bytes) + ELLIPSIS


def bounded_message(text: str, limit_bytes: int = MESSAGE_LIMIT_BYTES) -> str:
    """Spec §6.12: control characters (but newline and tab) become spaces, then cap."""
    return bound_bytes(_CONTROL_RE.sub(" ", text), limit_bytes)


def bound_text(text: str, limit_chars: int = CLI_TEXT_LIMIT_CHARS) -> str:
    """Spec §4.6, for CLI output: newlines become spaces, at most `limit_chars` characters."""
    text = _CONTROL_RE.sub(" ", text.replace("\n", " ").replace("\r", " "))
    if len(text) <= limit_chars:
        return text
    return text[:limit_chars] + ELLIPSIS


def escape_text(text: str) -> str:
    """For human output: every character of `_UNSAFE_RE` becomes a visible escape (`\\n`,
    `\\u001b`, `\\u202e`), so a package, file, config, rule or case string cannot move the cursor,
    start a line, recolour the terminal or reorder what is shown. JSON and SARIF escape themselves."""
    return _UNSAFE_RE.sub(lambda m: _NAMED_ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04x}", str(text))


def human_lines(lines: Iterable[str]) -> str:
    """The lines of a human report, each escaped (`escape_text`), joined, ending with a newline.
    Escaping each line before joining is what keeps a newline inside a value from starting one."""
    return "".join(escape_text(line) + "\n" for line in lines)


def redact_secret_like(text: str) -> str:
    """Spec §6.12 secret redaction: the value after a secret-like word becomes `<redacted>`."""

    def _sub(match: re.Match[str]) -> str:
        word, sep, scheme, value = match.groups()
        if not value:
            return match.group(0)
        return f"{word}{sep}{scheme + ' ' if scheme else ''}<redacted>"

    return _SECRET_RE.sub(_sub, text)


@dataclass(frozen=True)
class Location:
    """Where a diagnostic points: a file and, where known, a 1-based line and column."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Subject:
    """What a diagnostic is about: a package (ref, source, label, digest), a surface, a name."""

    ref: str | None = None
    source: str | None = None
    label: str | None = None
    digest: str | None = None
    surface: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One problem found by any stage; the message is bounded when the diagnostic is made."""

    kind: str
    phase: str
    message: str
    code: str = ""
    severity: str = "error"
    location: Location | None = None
    subject: Subject | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", bounded_message(self.message))
        if not self.code:
            object.__setattr__(self, "code", f"{self.phase}.{self.kind}")

    def with_subject(self, **fields: Any) -> Diagnostic:
        base = self.subject or Subject()
        return replace(self, subject=replace(base, **fields))

    def with_location(self, location: Location | None) -> Diagnostic:
        return replace(self, location=location)

    def to_dict(self) -> dict[str, Any]:
        """Full JSON form; reports choose the subset of fields their shape needs."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "phase": self.phase,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }
        out["location"] = asdict(self.location) if self.location else None
        out["subject"] = asdict(self.subject) if self.subject else None
        return out


class DiagnosticError(EngineError):
    """Raised by stages that must stop; carries the diagnostics that explain why.

    Its kind is the raiser's (`error_kind=`), else `io` when the first diagnostic is an io one
    (a file that could not be read or written), else the class's: `input` here, `rejected` for
    errors about a package or WIT under review, `policy-load` for rules (subclasses).
    """

    error_kind = ErrorKind.INPUT

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, *, error_kind: ErrorKind | None = None):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        if error_kind is None and self.diagnostics and self.diagnostics[0].kind == "io":
            error_kind = ErrorKind.IO
        super().__init__("; ".join(d.message for d in self.diagnostics), error_kind=error_kind)
