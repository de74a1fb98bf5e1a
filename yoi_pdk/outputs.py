"""Typed guest outputs with the reference's bounds: ToolOutput, ToolError, PluginStatus,
IngressEvent, ServiceOutputCommand and ServiceOutput (spec §6.9, §6.14; yoi-current-spec.md
§6.14, §6.16 for the current event and output commands).

Every constructor bounds what it holds, so whatever a handler returns serializes to something
the host decoder accepts; `to_json()` is what crosses the component boundary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yoi_pdk.bounds import (
    MAX_COMMAND_ID_BYTES, MAX_COMMAND_PAYLOAD_BYTES, MAX_CONTENT_BYTES, MAX_ERROR_MESSAGE_BYTES,
    MAX_LIFECYCLE_OUTPUT_BYTES, MAX_OUTPUT_COMMANDS, MAX_STATUS_UPDATE_BYTES, MAX_SUMMARY_BYTES, MAX_TOOL_OUTPUT_BYTES,
    bound_text, byte_len, to_json,
)

ERROR_CODES = ("invalid_input", "invalid_output", "serialization", "denied", "unsupported_tool", "failed")
DEFAULT_SUMMARY = "tool completed"
STATUS_UPDATE_COMMAND = "diagnostic_status_update"
COMMAND_KINDS = ("diagnostic_status_update", "host_request_dispatch", "websocket_send")
EPOCH = "1970-01-01T00:00:00Z"


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


_EVENT_KEYS = frozenset({"kind", "source", "payload", "ingress_name", "created_at", "attempt", "correlation_id"})


@dataclass(frozen=True)
class IngressEvent:
    """The host's ingress envelope: `kind`, `source`, `payload`, and the current fields
    `ingress_name`, `created_at` (RFC 3339), `attempt` and `correlation_id` (the id output
    commands answer to). Untrusted input: parsed strictly."""

    kind: str
    source: str
    payload: Any = None
    created_at: str | None = None
    attempt: int = 0
    correlation_id: str | None = None
    ingress_name: str | None = None

    @classmethod
    def from_json(cls, text: str) -> "IngressEvent":
        """Parse the envelope; anything malformed raises ToolError(`invalid_input`)."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError) as error:
            raise ToolError("invalid_input", f"ingress event is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise ToolError("invalid_input", "ingress event must be a JSON object")
        unknown = sorted(set(value) - _EVENT_KEYS)
        if unknown:
            raise ToolError("invalid_input", f"ingress event contains unsupported key `{unknown[0]}`")
        kind, source = value.get("kind"), value.get("source")
        if not isinstance(kind, str) or not isinstance(source, str):
            raise ToolError("invalid_input", "ingress event `kind` and `source` must be strings")
        attempt = value.get("attempt", 0)
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise ToolError("invalid_input", "ingress event `attempt` must be a non-negative integer")
        for key in ("created_at", "correlation_id", "ingress_name"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ToolError("invalid_input", f"ingress event `{key}` must be a string")
        return cls(kind, source, value.get("payload"), value.get("created_at"), attempt, value.get("correlation_id"),
                   value.get("ingress_name"))

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

    def websocket_text(self) -> str | None:
        """`payload.text` of a `websocket_text` event (any event whose payload has a string `text`)."""
        text = self.payload.get("text") if isinstance(self.payload, dict) else None
        return text if isinstance(text, str) else None

    def websocket_url(self) -> str | None:
        """`payload.url` of a host-owned WebSocket event: the connection to answer on."""
        url = self.payload.get("url") if isinstance(self.payload, dict) else None
        return url if isinstance(url, str) else None

    def websocket_send(self, command_id: str, url: str, text: str) -> "ServiceOutputCommand":
        """A `websocket_send` command answering this event on the host-owned connection `url`."""
        return ServiceOutputCommand.new(self, command_id, "websocket_send", {"url": url, "text": text})


def _check_json(value: Any, what: str, limit: int) -> None:
    """`value` must serialize as JSON within `limit` bytes, else a ToolError naming `what`."""
    try:
        size = byte_len(to_json(value))
    except (TypeError, ValueError, RecursionError) as error:
        raise ToolError("serialization", f"{what} is not JSON: {error}") from None
    if size > limit:
        raise ToolError("invalid_output", f"{what} exceeds {limit} bytes")


def _command_id(text: str, what: str) -> str:
    """Control characters become `-`, then at most 128 bytes (cut at 125 plus an ellipsis)."""
    cleaned = "".join("-" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in str(text))
    if byte_len(cleaned) > MAX_COMMAND_ID_BYTES:
        cleaned = bound_text(cleaned, MAX_COMMAND_ID_BYTES)
    if not cleaned:
        raise ToolError("invalid_output", what)
    return cleaned


@dataclass(frozen=True)
class ServiceOutputCommand:
    """One output command, the envelope the host validates (yoi-current-spec.md §6.16): ids of at
    most 128 bytes without control characters, `source_event_id` = the event's correlation id,
    an RFC 3339 `requested_at`, a payload of at most 16 KiB of JSON."""

    correlation_id: str
    source_event_id: str
    command_id: str
    kind: str
    payload: Any
    requested_at: str

    @classmethod
    def new(cls, event: IngressEvent, command_id: str, kind: str, payload: Any) -> "ServiceOutputCommand":
        if kind not in COMMAND_KINDS:
            raise ToolError("invalid_output", f"unknown service output command kind `{bound_text(kind, 64)}`")
        command = _command_id(command_id, "service output command_id must not be empty")
        source = event.correlation_id or ""
        if not source:
            raise ToolError("invalid_output", "service output command requires ingress event correlation_id")
        _check_json(payload, "service output command payload", MAX_COMMAND_PAYLOAD_BYTES)
        correlation = _command_id(f"{source}:{command}", "service output command correlation_id must not be empty")
        return cls(correlation, _command_id(source, "empty"), command, kind, payload, event.created_at or EPOCH)

    @classmethod
    def status_update(cls, event: IngressEvent, command_id: str, status: Any = None,
                      message: str | None = None) -> "ServiceOutputCommand":
        """A `diagnostic_status_update`: the instance's visible status (and a message)."""
        payload: dict[str, Any] = {}
        if message is not None:
            payload["message"] = bound_text(message, 1024)
        if status is not None:
            payload["status"] = status
        return cls.new(event, command_id, "diagnostic_status_update", payload)

    @classmethod
    def request_dispatch(cls, event: IngressEvent, command_id: str, method: str, url: str,
                         headers: dict[str, str] | None = None, body: str | None = None) -> "ServiceOutputCommand":
        """A `host_request_dispatch`: the host performs the request through the `request` API's
        checks after the handler returns, and records the result in its status."""
        payload: dict[str, Any] = {"method": method, "url": url}
        if headers:
            payload["headers"] = [{"name": n, "value": v} for n, v in headers.items()]
        if body is not None:
            payload["body"] = body
        return cls.new(event, command_id, "host_request_dispatch", payload)

    def to_dict(self) -> dict[str, Any]:
        return {"correlation_id": self.correlation_id, "source_event_id": self.source_event_id,
                "command_id": self.command_id, "kind": self.kind, "payload": self.payload,
                "requested_at": self.requested_at}


@dataclass(frozen=True)
class ServiceOutput:
    """What an ingress handler hands back: free `data` plus host-mediated `output_commands`
    (ServiceOutputCommand values, or the engine's short `diagnostic_status_update` form from
    `status_update`/`with_status`); at most 16 commands."""

    data: Any = None
    commands: tuple[Any, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        commands = tuple(self.commands)
        if len(commands) > MAX_OUTPUT_COMMANDS:
            raise ToolError("invalid_output", f"service output has more than {MAX_OUTPUT_COMMANDS} output_commands")
        object.__setattr__(self, "commands", commands)

    @classmethod
    def accepted(cls, data: Any = None) -> "ServiceOutput":
        return cls(data)

    @classmethod
    def empty(cls) -> "ServiceOutput":
        return cls()

    @classmethod
    def websocket_send(cls, event: IngressEvent, command_id: str, url: str, text: str) -> "ServiceOutput":
        """An output with one `websocket_send` command answering `event` on connection `url`."""
        return cls().with_command(event.websocket_send(command_id, url, text))

    def with_command(self, command: "ServiceOutputCommand | dict[str, Any]") -> "ServiceOutput":
        return ServiceOutput(self.data, (*self.commands, command))

    @staticmethod
    def status_update(status: Any) -> dict[str, Any]:
        """The engine's short `diagnostic_status_update` (`{kind, status}`); its status must fit in
        16 KiB of JSON. ServiceOutputCommand.status_update is the full envelope."""
        _check_json(status, "status update", MAX_STATUS_UPDATE_BYTES)
        return {"kind": STATUS_UPDATE_COMMAND, "status": status}

    def with_status(self, status: Any) -> "ServiceOutput":
        return ServiceOutput(self.data, (*self.commands, self.status_update(status)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accepted": True}
        if self.data is not None:
            out["data"] = self.data
        if self.commands:
            out["output_commands"] = [c.to_dict() if isinstance(c, ServiceOutputCommand) else c for c in self.commands]
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
