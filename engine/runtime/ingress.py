"""Ingress envelopes in and output commands out (issue 9 item 6).

The reference checks only the envelope size (spec §6.6); here the envelope must have exactly the
known keys, `kind` must be one of the ingress' `event_kinds`, `source` must match one of its
`sources` when it declares any, and `payload` must satisfy its `input_schema`. Of a guest's
`output_commands` only `diagnostic_status_update` is applied; nothing reaches model context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.plan import PlannedIngress
from engine.runtime.errors import RuntimeFault, bounded
from engine.runtime.outputs import dump_json, loads_input, utf8_exceeds
from engine.runtime.schema_check import Validator

REQUIRED_KEYS = ("kind", "source", "payload")
OPTIONAL_KEYS = ("created_at", "attempt", "correlation_id")
MAX_COMMANDS = 16
MAX_STATUS_UPDATE_BYTES = 16 * 1024
APPLIED_COMMAND = "diagnostic_status_update"


def _invalid(message: str) -> RuntimeFault:
    return RuntimeFault("invalid_input", message)


def envelope_text(ingress: PlannedIngress, event: str | dict, limit: int, validate: Validator | None = None) -> str:
    """The checked envelope as the JSON text handed to the guest (field order kind, source,
    payload, then the optional fields); `validate` is the ingress' compiled `input_schema`."""
    text = event if isinstance(event, str) else _dumps(event)
    if utf8_exceeds(text, limit):
        raise _invalid(f"plugin ingress event exceeds {limit} bytes")
    if isinstance(event, str):
        try:
            event = loads_input(event)
        except (ValueError, RecursionError) as error:
            raise _invalid(f"plugin ingress event is not valid JSON: {error}") from None
    if not isinstance(event, dict):
        raise _invalid("plugin ingress event must be a JSON object")
    for key in event:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            raise _invalid(f"plugin ingress event contains unsupported key `{key}`")
    for key in REQUIRED_KEYS:
        if key not in event:
            raise _invalid(f"plugin ingress event must include `{key}`")
    _check_fields(ingress, event, validate)
    ordered = {key: event[key] for key in (*REQUIRED_KEYS, *OPTIONAL_KEYS) if key in event}
    return _dumps(ordered)


def _dumps(value: object) -> str:
    try:
        text = dump_json(value)
        text.encode("utf-8")  # a lone surrogate cannot cross into the guest
        return text
    except (TypeError, ValueError, RecursionError) as error:
        raise _invalid(f"plugin ingress event is not valid JSON: {error}") from None


def _check_fields(ingress: PlannedIngress, event: dict, validate: Validator | None) -> None:
    kind, source = event["kind"], event["source"]
    if not isinstance(kind, str) or not isinstance(source, str):
        raise _invalid("plugin ingress event `kind` and `source` must be strings")
    if kind not in ingress.event_kinds:
        raise _invalid(f"plugin ingress `{ingress.name}` does not accept event kind `{kind}`")
    if ingress.sources and source not in ingress.sources:
        raise _invalid(f"plugin ingress `{ingress.name}` does not accept events from source `{source}`")
    if "created_at" in event and not isinstance(event["created_at"], str):
        raise _invalid("plugin ingress event `created_at` must be a string")
    attempt = event.get("attempt", 0)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
        raise _invalid("plugin ingress event `attempt` must be a non-negative integer")
    if "correlation_id" in event and not isinstance(event["correlation_id"], str):
        raise _invalid("plugin ingress event `correlation_id` must be a string")
    if validate is not None:
        error = validate(event["payload"], "$.payload")
        if error is not None:
            raise _invalid(f"plugin ingress `{ingress.name}` payload does not match its input_schema: {error}")


@dataclass(frozen=True)
class CommandOutcome:
    applied: tuple[dict[str, Any], ...]
    refused: tuple[str, ...]  # bounded diagnostic messages
    status_update: Any = None
    has_update: bool = False


def apply_output_commands(output: dict[str, Any]) -> CommandOutcome:
    """Sort the guest's `output_commands` into applied status updates and refused commands."""
    commands = output.get("output_commands")
    if commands is None:
        return CommandOutcome((), ())
    if not isinstance(commands, list):
        return CommandOutcome((), ("plugin ingress output_commands must be an array; ignored",))
    applied: list[dict[str, Any]] = []
    refused: list[str] = []
    update, has_update = None, False
    for index, command in enumerate(commands):
        if index >= MAX_COMMANDS:
            refused.append(f"plugin ingress output has more than {MAX_COMMANDS} output_commands; the rest were refused")
            break
        kind = command.get("kind") if isinstance(command, dict) else None
        if kind != APPLIED_COMMAND:
            refused.append(
                bounded(
                    f"output command {index} of kind {json.dumps(kind)[:64]} refused: only "
                    f"`{APPLIED_COMMAND}` is applied"
                )
            )
            continue
        if set(command) - {"kind", "status"}:
            refused.append(f"output command {index} refused: `{APPLIED_COMMAND}` takes only `kind` and `status`")
            continue
        status = command.get("status")
        if utf8_exceeds(json.dumps(status, ensure_ascii=False), MAX_STATUS_UPDATE_BYTES):  # bytes, not characters
            refused.append(f"output command {index} refused: status exceeds {MAX_STATUS_UPDATE_BYTES} bytes")
            continue
        applied.append({"kind": APPLIED_COMMAND, "status": status})
        update, has_update = status, True
    return CommandOutcome(tuple(applied), tuple(refused), update, has_update)
