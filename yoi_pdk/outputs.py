"""Typed guest outputs with the reference's bounds: ToolOutput, ToolError, PluginStatus,
IngressEvent and ServiceOutput (spec §6.9, §6.14; output commands per issue 9).

Every constructor bounds what it holds, so whatever a handler returns serializes to something
the host decoder accepts; `to_json()` is what crosses the component boundary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yoi_pdk.bounds import (
    MAX_CONTENT_BYTES, MAX_ERROR_MESSAGE_BYTES, MAX_LIFECYCLE_OUTPUT_BYTES, MAX_OUTPUT_COMMANDS,
    MAX_STATUS_UPDATE_BYTES, MAX_SUMMARY_BYTES, MAX_TOOL_OUTPUT_BYTES, bound_text, byte_len, to_json,
)

ERROR_CODES = ("invalid_input", "invalid_output", "serialization", "denied", "unsupported_tool", "failed")
DEFAULT_SUMMARY = "tool completed"
STATUS_UPDATE_COMMAND = "diagnostic_status_update"


class ToolError(Exception):
    """A tool failure the host shows as an ordinary Tool result (never a trap).

    `code` is one of ERROR_CODES (anything else becomes `failed`), the message is bounded to
    4096 bytes, `details` is any JSON value, dropped when it does not fit.
    """

    def __init__(self, code: str, message: str, details: Any = None):
        self.code = code if code in ERROR_CODES else "failed"
        self.message = bound_text(message, MAX_ERROR_MESSAGE_BYTES)
        self.details = details
        super().__init__(f"{self.code}: {self.message}")

    @classmethod
    def unsupported_tool(cls, name: str) -> "ToolError":
        return cls("unsupported_tool", f"unsupported tool `{bound_text(name, 256)}`")

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def to_output(self) -> "ToolOutput":
        """Summary `tool error: <code>`, content `{"error": {...}}`; details go if too large."""
        payload = self.to_dict()
        try:
            content = to_json(payload)
        except (TypeError, ValueError):
            content = None
        if content is None or byte_len(content) > MAX_CONTENT_BYTES:
            payload["error"].pop("details", None)
            content = to_json(payload)
        return ToolOutput(f"tool error: {self.code}", content)


@dataclass(frozen=True, init=False)
class ToolOutput:
    """`{summary, content?}`: summary 1..1024 bytes (blank becomes `tool completed`), content at
    most 60416 bytes and then shrunk until the whole JSON is at most 65536 bytes."""

    summary: str
    content: str | None = None

    def __init__(self, summary: str, content: str | None = None):
        summary = bound_text(summary if isinstance(summary, str) else str(summary), MAX_SUMMARY_BYTES)
        object.__setattr__(self, "summary", summary if summary.strip() else DEFAULT_SUMMARY)
        if content is not None:
            content = _fit_content(self.summary, bound_text(str(content), MAX_CONTENT_BYTES))
        object.__setattr__(self, "content", content)

    @classmethod
    def json(cls, summary: str, value: Any) -> "ToolOutput":
        """Content is `value` as JSON, never truncated: too large is an `invalid_output` error."""
        try:
            content = to_json(value)
        except (TypeError, ValueError, RecursionError) as error:
            raise ToolError("serialization", f"tool output value is not JSON: {error}") from None
        output = cls(summary)
        object.__setattr__(output, "content", content)
        if byte_len(output.to_json()) > MAX_TOOL_OUTPUT_BYTES:
            raise ToolError("invalid_output", f"serialized ToolOutput JSON exceeds {MAX_TOOL_OUTPUT_BYTES} bytes")
        return output

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"summary": self.summary}
        if self.content is not None:
            out["content"] = self.content
        return out

    def to_json(self) -> str:
        return to_json(self.to_dict())


def _fit_content(summary: str, content: str) -> str:
    """Shrink `content` until `{summary, content}` serializes within 65536 bytes (escaping can
    make the JSON up to six times longer than the text)."""
    budget = byte_len(content)
    while True:
        size = byte_len(to_json({"summary": summary, "content": content}))
        if size <= MAX_TOOL_OUTPUT_BYTES:
            return content
        budget = max(budget - (size - MAX_TOOL_OUTPUT_BYTES) - 3, 0)
        content = bound_text(content, budget)


@dataclass(frozen=True)
class PluginStatus:
    """Lifecycle output `{"state": ..., "data": ...}`; the host treats `state == "failed"` as a
    failure and shows everything else as the instance's component status."""

    state: str
    data: Any = None

    @classmethod
    def ready(cls, data: Any = None) -> "PluginStatus":
        return cls("ready", data)

    @classmethod
    def stopped(cls, data: Any = None) -> "PluginStatus":
        return cls("stopped", data)

    @classmethod
    def failed(cls, data: Any = None) -> "PluginStatus":
        return cls("failed", data)

    def to_dict(self) -> dict[str, Any]:
        return {"state": bound_text(self.state, 64), "data": self.data}


@dataclass(frozen=True)
class IngressEvent:
    """The host's ingress envelope: `kind`, `source`, `payload`, and the optional `created_at`,
    `attempt` and `correlation_id`. Untrusted input: parsed strictly."""

    kind: str
    source: str
    payload: Any = None
    created_at: str | None = None
    attempt: int = 0
    correlation_id: str | None = None

    @classmethod
    def from_json(cls, text: str) -> "IngressEvent":
        """Parse the envelope; anything malformed raises ToolError(`invalid_input`)."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError) as error:
            raise ToolError("invalid_input", f"ingress event is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise ToolError("invalid_input", "ingress event must be a JSON object")
        unknown = sorted(set(value) - {"kind", "source", "payload", "created_at", "attempt", "correlation_id"})
        if unknown:
            raise ToolError("invalid_input", f"ingress event contains unsupported key `{unknown[0]}`")
        kind, source = value.get("kind"), value.get("source")
        if not isinstance(kind, str) or not isinstance(source, str):
            raise ToolError("invalid_input", "ingress event `kind` and `source` must be strings")
        attempt = value.get("attempt", 0)
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise ToolError("invalid_input", "ingress event `attempt` must be a non-negative integer")
        for key in ("created_at", "correlation_id"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ToolError("invalid_input", f"ingress event `{key}` must be a string")
        return cls(kind, source, value.get("payload"), value.get("created_at"), attempt, value.get("correlation_id"))

    def created_at_datetime(self) -> datetime | None:
        """`created_at` as a timezone-aware datetime (ISO 8601 / RFC 3339; `Z` is UTC), or None
        when the event has none. A guest has no clock of its own (WASI is stubbed: `time.time()`
        traps), so this is the time a guest can use: the one the sender put on the event. A value
        that is not such a time raises ToolError(`invalid_input`)."""
        if self.created_at is None:
            return None
        try:
            moment = datetime.fromisoformat(self.created_at)
        except ValueError:
            raise ToolError("invalid_input", "ingress event `created_at` is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ToolError("invalid_input", "ingress event `created_at` has no time zone")
        return moment


@dataclass(frozen=True)
class ServiceOutput:
    """What an ingress handler hands back: free `data` plus host-mediated `output_commands`.

    The only command a host applies is `diagnostic_status_update` (the instance's visible
    status); at most 16 commands, each status at most 16 KiB of JSON.
    """

    data: Any = None
    commands: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        commands = tuple(self.commands)
        if len(commands) > MAX_OUTPUT_COMMANDS:
            raise ToolError("invalid_output", f"service output has more than {MAX_OUTPUT_COMMANDS} output_commands")
        object.__setattr__(self, "commands", commands)

    @staticmethod
    def status_update(status: Any) -> dict[str, Any]:
        """A `diagnostic_status_update` command; its status must fit in 16 KiB of JSON."""
        try:
            size = byte_len(to_json(status))
        except (TypeError, ValueError, RecursionError) as error:
            raise ToolError("serialization", f"status update is not JSON: {error}") from None
        if size > MAX_STATUS_UPDATE_BYTES:
            raise ToolError("invalid_output", f"status update exceeds {MAX_STATUS_UPDATE_BYTES} bytes")
        return {"kind": STATUS_UPDATE_COMMAND, "status": status}

    def with_status(self, status: Any) -> "ServiceOutput":
        return ServiceOutput(self.data, (*self.commands, self.status_update(status)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accepted": True}
        if self.data is not None:
            out["data"] = self.data
        if self.commands:
            out["output_commands"] = list(self.commands)
        return out


def lifecycle_error(message: str) -> dict[str, Any]:
    """The error JSON of a lifecycle or ingress call: `{"error": {"message": ...}}`."""
    return {"error": {"message": bound_text(message, MAX_ERROR_MESSAGE_BYTES)}}


def bounded_json(value: Any, what: str) -> str:
    """`value` as JSON within the 64 KiB lifecycle/ingress bound, else that bound's error JSON."""
    try:
        text = to_json(value)
    except (TypeError, ValueError, RecursionError) as error:
        return to_json(lifecycle_error(f"{what} output is not JSON: {error}"))
    if byte_len(text) > MAX_LIFECYCLE_OUTPUT_BYTES:
        return to_json(lifecycle_error(f"{what} output exceeds {MAX_LIFECYCLE_OUTPUT_BYTES} bytes"))
    return text
