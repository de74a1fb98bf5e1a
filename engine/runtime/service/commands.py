"""Service output commands of current-format packages (yoi-current-spec.md §6.16): what a guest's
`handle-ingress` output asks the host to do, in upstream's envelope, order, limits and words.

`plan_commands` extracts and validates every command (all-or-nothing: one invalid command and
none runs; only the rejected ones get results), `execute` runs a validated list in order. The
three kinds:
- `diagnostic_status_update`: sets the instance's component status;
- `websocket_send`: sends on the host-owned WebSocket connection of that exact URL (sockets.py);
- `host_request_dispatch`: beyond upstream (which answers `Unsupported`), performed through the
  `request` API's checks when the rules allow it (`performs_host_request_dispatch`), the response
  recorded, bounded, in the result.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.api_registry.url_target import REQUEST, WEBSOCKET
from engine.diagnostics import bound_bytes
from engine.runtime.errors import bounded
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.urls import WEBSOCKET_WORDS, NetUrl, UrlWords, parse_net_url
from engine.runtime.service.envelope import now_rfc3339

MAX_COMMANDS = 16
MAX_PAYLOAD_BYTES = 16384
MAX_ID_BYTES = 128
MAX_TEXT_BYTES = 32768
MAX_RESPONSE_BODY_BYTES = 1024  # of a performed host_request_dispatch, kept in its result
# Every network command of one output (host_request_dispatch, websocket_send) shares this budget:
# 16 slow servers, or a peer that stops reading, cannot hold the instance for 16 x 5 s.
COMMANDS_BUDGET_S = 5.0
KINDS = ("diagnostic_status_update", "host_request_dispatch", "websocket_send")
ENVELOPE = ("correlation_id", "source_event_id", "command_id", "kind", "payload", "requested_at")
IDS = ("correlation_id", "source_event_id", "command_id")
RECORDED, REJECTED, UNSUPPORTED = "Recorded", "Rejected", "Unsupported"
BUDGET_SPENT = f"the {COMMANDS_BUDGET_S:g} s budget of this output's network commands is spent"
UNSUPPORTED_DISPATCH = (
    "host_request_dispatch output command is grant-checked but transport dispatch is unsupported in v0"
)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SEND_WORDS = UrlWords(
    WEBSOCKET_WORDS.invalid,
    WEBSOCKET_WORDS.own,
    WEBSOCKET_WORDS.other,
    "HTTP URLs are not supported by websocket_send",
    WEBSOCKET_WORDS.unsupported,
    WEBSOCKET_WORDS.no_host,
    WEBSOCKET_WORDS.credentials,
)


class CommandHost(Protocol):
    """What commands need from the service runtime."""

    def plan_apis(self) -> tuple[str, ...]: ...

    def performs_requests(self) -> bool: ...

    def api_handler(self, api: str) -> Any: ...

    def set_component_status(self, status: Any) -> None: ...

    def send_owned(self, key: str, url: NetUrl, text: str) -> tuple[str, str]: ...


class _Rejected(Exception):
    """One command's validation failure, with its message (never leaves this module)."""


@dataclass
class Command:
    """A command that passed validation, with what its execution needs."""

    envelope: dict[str, Any]
    prepared: Any = None  # a PreparedRequest, or the (key, NetUrl, text) of a websocket_send


def result(envelope: Mapping[str, Any] | None, status: str, message: str, **extra: Any) -> dict[str, Any]:
    """`PluginServiceOutputCommandResult`: ids and kind (null for a malformed envelope)."""
    envelope = envelope or {}
    return {
        "correlation_id": envelope.get("correlation_id"),
        "source_event_id": envelope.get("source_event_id"),
        "command_id": envelope.get("command_id"),
        "kind": envelope.get("kind"),
        "status": status,
        "message": bounded(message),
        "recorded_at": now_rfc3339(),
        **extra,
    }


def plan_commands(output: Any, event_id: str, host: CommandHost) -> tuple[list[Command], list[dict[str, Any]]]:
    """(the validated commands, the results of rejected ones). Either list is empty: one
    rejected command and none runs (upstream: only the rejected ones are reported)."""
    if not isinstance(output, dict) or "output_commands" not in output:
        return [], []
    commands = output["output_commands"]
    if not isinstance(commands, list):
        return [], [result(None, REJECTED, "service output_commands must be an array")]
    if len(commands) > MAX_COMMANDS:
        return [], [result(None, REJECTED, f"service output_commands exceeds {MAX_COMMANDS} commands")]
    try:  # JSON may spell a lone surrogate; no id, URL or text may hold one
        json.dumps(commands, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return [], [result(None, REJECTED, "service output_commands hold text that is not valid UTF-8")]
    valid: list[Command] = []
    rejected: list[dict[str, Any]] = []
    for item in commands:
        envelope: dict[str, Any] | None = None
        try:
            envelope = _envelope(item)
            valid.append(_validate(envelope, event_id, host))
        except _Rejected as refusal:
            rejected.append(result(envelope, REJECTED, str(refusal)))
    return ([], rejected) if rejected else (valid, [])


def execute(commands: list[Command], host: CommandHost) -> list[dict[str, Any]]:
    """Run validated commands in order; one result each. The network commands of one output share
    one deadline (COMMANDS_BUDGET_S): a request is bounded by what is left of it, and a
    websocket_send that would start after it is rejected, so one output holds the instance for at
    most the budget plus one send's socket timeout."""
    deadline = time.monotonic() + COMMANDS_BUDGET_S
    return [_execute(command, host, deadline) for command in commands]


# ---- validation, steps 1-7 -----------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"integer `{value}`" if isinstance(value, int) else f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(bound_bytes(value, 64))}"
    return "sequence" if isinstance(value, list) else "map"


def _fields(value: Any, allowed: tuple[str, ...], required: tuple[str, ...], what: str) -> dict[str, Any]:
    """serde's `deny_unknown_fields` struct decoding, with its words."""
    if not isinstance(value, dict):
        raise _Rejected(f"invalid type: {_type_name(value)}, expected struct {what}")
    for key in value:
        if key not in allowed:
            expected = ", ".join(f"`{name}`" for name in allowed)
            raise _Rejected(f"unknown field `{bound_bytes(str(key), 64)}`, expected one of {expected}")
    for key in required:
        if key not in value:
            raise _Rejected(f"missing field `{key}`")
    return value


def _envelope(item: Any) -> dict[str, Any]:
    """Step 1: the six fields, ids and `requested_at` strings, `kind` one of the three."""
    try:
        envelope = _fields(item, ENVELOPE, ENVELOPE, "PluginServiceOutputCommandEnvelope")
        for key in (*IDS, "requested_at", "kind"):
            if not isinstance(envelope[key], str):
                raise _Rejected(f"invalid type: {_type_name(envelope[key])}, expected a string")
        if envelope["kind"] not in KINDS:
            expected = ", ".join(f"`{kind}`" for kind in KINDS)
            raise _Rejected(f"unknown variant `{bound_bytes(envelope['kind'], 64)}`, expected one of {expected}")
    except _Rejected as error:
        raise _Rejected(f"malformed service output command envelope: {error}") from None
    return envelope


def _validate(envelope: dict[str, Any], event_id: str, host: CommandHost) -> Command:
    for key in IDS:  # step 2
        value = envelope[key]
        if not value or len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES or _CONTROL.search(value):
            raise _Rejected(f"{key} is empty, too long, or contains control characters")
    if envelope["source_event_id"] != event_id:  # step 3
        raise _Rejected("source_event_id must match the ingress event correlation_id")
    _check_rfc3339(envelope["requested_at"])  # step 4
    payload = envelope["payload"]
    if len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")) > (
        MAX_PAYLOAD_BYTES
    ):  # step 5
        raise _Rejected(f"payload exceeds {MAX_PAYLOAD_BYTES} bytes")
    check = _KIND_CHECKS[envelope["kind"]]  # steps 6 and 7
    return Command(envelope, check(payload, host))


def _check_rfc3339(text: str) -> None:
    if not _RFC3339.fullmatch(text):
        raise _Rejected("requested_at must be RFC3339: input is not an RFC 3339 date-time")
    try:
        datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError as error:
        raise _Rejected(f"requested_at must be RFC3339: {error}") from None


def _granted(host: CommandHost, api: str, word: str) -> Any:
    """Step 7: the API is in the plan and its declaration is usable; its handler."""
    handler = host.api_handler(api) if api in host.plan_apis() else None
    if handler is None:
        raise _Rejected(f"{word} not granted: host API `{api}` is not in the plan")
    reason = getattr(handler, "unusable_reason", None)
    if reason:
        raise _Rejected(f"{word} not granted: {reason}")
    return handler


def _status_update(payload: Any, host: CommandHost) -> Any:
    try:
        _fields(payload, ("message", "status"), (), "PluginServiceDiagnosticStatusUpdate")
        if "message" in payload and not isinstance(payload["message"], str):
            raise _Rejected(f"invalid type: {_type_name(payload['message'])}, expected a string")
    except _Rejected as error:
        raise _Rejected(f"invalid diagnostic_status_update payload: {error}") from None
    return None


def _request_dispatch(payload: Any, host: CommandHost) -> Any:
    try:
        _fields(payload, ("method", "url", "headers", "body"), ("method", "url"), "PluginRequestRequest")
    except _Rejected as error:
        raise _Rejected(f"invalid host_request_dispatch payload: {error}") from None
    api = host.api_handler(REQUEST) if REQUEST in host.plan_apis() else None
    prepared = None
    if api is not None:  # without the API in the plan there are no targets to check against
        try:
            prepared = api.prepare_value(payload)
        except HostApiError as error:
            raise _Rejected(f"host_request_dispatch target denied: {error.message}") from None
    _granted(host, REQUEST, "host_request_dispatch")
    return prepared


def _websocket_send(payload: Any, host: CommandHost) -> Any:
    try:
        _fields(payload, ("url", "text"), ("url", "text"), "PluginServiceWebSocketSendPayload")
        for key in ("url", "text"):
            if not isinstance(payload[key], str):
                raise _Rejected(f"invalid type: {_type_name(payload[key])}, expected a string")
    except _Rejected as error:
        raise _Rejected(f"invalid websocket_send payload: {error}") from None
    text = payload["text"]
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise _Rejected(f"websocket_send text exceeds {MAX_TEXT_BYTES} bytes")
    try:
        url = parse_net_url(payload["url"], SEND_WORDS)
        policy = getattr(host.api_handler(WEBSOCKET), "policy", None) if WEBSOCKET in host.plan_apis() else None
        if policy is not None:
            policy.authorize(url)
    except HostApiError as error:
        raise _Rejected(error.message) from None
    _granted(host, WEBSOCKET, "websocket_send")
    return (url.text, url, text)


_KIND_CHECKS: dict[str, Callable[[Any, CommandHost], Any]] = {
    "diagnostic_status_update": _status_update,
    "host_request_dispatch": _request_dispatch,
    "websocket_send": _websocket_send,
}


# ---- execution -----------------------------------------------------------------------------------


def _execute(command: Command, host: CommandHost, deadline: float) -> dict[str, Any]:
    envelope, payload = command.envelope, command.envelope["payload"]
    kind = envelope["kind"]
    if kind == "diagnostic_status_update":
        if "status" in payload:
            host.set_component_status(payload["status"])
        return result(envelope, RECORDED, payload.get("message") or "plugin service status update recorded")
    if kind == "websocket_send":
        key, url, text = command.prepared
        if time.monotonic() >= deadline:
            return result(envelope, REJECTED, f"websocket_send not attempted: {BUDGET_SPENT}")
        status, message = host.send_owned(key, url, text)
        return result(envelope, status, message)
    if not host.performs_requests() or command.prepared is None:
        return result(envelope, UNSUPPORTED, UNSUPPORTED_DISPATCH)
    prepared = command.prepared
    try:
        answer = json.loads(host.api_handler(REQUEST).perform(prepared, deadline))
    except HostApiError as error:
        return result(envelope, REJECTED, f"host_request_dispatch failed: {error.message}")
    response = {
        "status": answer["status"],
        "body": bound_bytes(answer["body"], MAX_RESPONSE_BODY_BYTES),
        "truncated": answer["truncated"] or len(answer["body"].encode("utf-8")) > MAX_RESPONSE_BODY_BYTES,
    }
    message = f"host_request_dispatch {prepared.method} {prepared.url.safe_url} answered {answer['status']}"
    return result(envelope, RECORDED, message, response=response)
