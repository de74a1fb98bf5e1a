"""The ingress event envelope of yoi b12e0785 (yoi-current-spec.md §6.6): `kind`, `source`,
`ingress_name`, `payload`, `created_at`, `attempt`, `correlation_id`, in that order.

A caller may give only `{kind, source, payload}`: the host fills in `ingress_name` (the ingress
dispatched to), `created_at` (now, RFC 3339 with milliseconds), `attempt` (1) and a UUIDv7
`correlation_id`, as upstream's `PluginIngressEvent::new` does. The checks follow upstream's
order and words (steps 3-11); on top of them, as for every package here (docs/runtime.md): no
unknown keys, typed fields, `source` one of the ingress' `sources` when it declares any, `kind`
one of its `event_kinds`, and `payload` valid against its `input_schema`.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from engine.plan import PlannedIngress
from engine.runtime.outputs import dump_json, loads_input, utf8_exceeds
from engine.runtime.schema_check import Validator
from engine.runtime.service.faults import invalid_event

FIELDS = ("kind", "source", "ingress_name", "payload", "created_at", "attempt", "correlation_id")
_STRINGS = ("kind", "source", "ingress_name", "created_at", "correlation_id")


def now_rfc3339() -> str:
    """`2026-06-25T00:00:00.000Z`: UTC, milliseconds, `Z` (chrono's `SecondsFormat::Millis`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _short(text: str) -> str:
    return text if len(text) <= 64 else text[:64] + "…"


def current_event(
    ingress: PlannedIngress, name: str, event: str | dict, limit: int, validate: Validator | None
) -> tuple[str, dict[str, Any]]:
    """The checked envelope: its JSON text (fields in upstream's order) and its value."""
    if isinstance(event, str):
        if utf8_exceeds(event, limit):
            raise invalid_event(f"plugin ingress event exceeds {limit} bytes")
        try:
            event = loads_input(event)
        except (ValueError, RecursionError) as error:
            raise invalid_event(f"event is not valid JSON: {error}") from None
    if not isinstance(event, dict):
        raise invalid_event("event must be a JSON object")
    for key in event:
        if key not in FIELDS:
            raise invalid_event(f"event contains unsupported key `{_short(str(key))}`")
    for key in _STRINGS:
        if key in event and not isinstance(event[key], str):
            raise invalid_event(f"`{key}` must be a string")
    attempt = event.get("attempt", 1)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt > 2**32 - 1:
        raise invalid_event("`attempt` must be an integer")
    filled = {
        "kind": event.get("kind", ""),
        "source": event.get("source", ""),
        "ingress_name": event.get("ingress_name", name),
        "payload": event.get("payload"),
        "created_at": event["created_at"] if "created_at" in event else now_rfc3339(),
        "attempt": attempt,
        "correlation_id": event["correlation_id"] if "correlation_id" in event else uuid7(),
    }
    _check(ingress, name, filled)
    try:
        text = dump_json(filled)
        text.encode("utf-8")  # a lone surrogate cannot cross into the guest
    except (TypeError, ValueError, RecursionError) as error:
        raise invalid_event(f"event is not valid JSON: {error}") from None
    if utf8_exceeds(text, limit):
        raise invalid_event(f"plugin ingress event exceeds {limit} bytes")
    _declared(ingress, name, filled)
    if validate is not None:
        mismatch = validate(filled["payload"], "$.payload")
        if mismatch is not None:
            raise invalid_event(f"payload does not match the input_schema of ingress `{name}`: {mismatch}")
    return text, filled


def _check(ingress: PlannedIngress, name: str, event: dict[str, Any]) -> None:
    """Upstream's steps 3-8, in order."""
    if not event["source"].strip():
        raise invalid_event("source must not be empty")
    if event["ingress_name"] != name:
        raise invalid_event(f"event ingress `{_short(event['ingress_name'])}` does not match dispatch ingress `{name}`")
    if not event["kind"].strip():
        raise invalid_event("event kind must not be empty")
    if not event["created_at"].strip():
        raise invalid_event("created_at must not be empty")
    if event["attempt"] <= 0:
        raise invalid_event("attempt must be greater than zero")
    if not event["correlation_id"].strip():
        raise invalid_event("correlation_id must not be empty")


def _declared(ingress: PlannedIngress, name: str, event: dict[str, Any]) -> None:
    """Upstream's step 11 (`event_kinds`; here an empty list accepts nothing), then the sources."""
    if event["kind"] not in ingress.event_kinds:
        raise invalid_event(f"event kind `{_short(event['kind'])}` is not declared for ingress `{name}`")
    if ingress.sources and event["source"] not in ingress.sources:
        raise invalid_event(f"event source `{_short(event['source'])}` is not declared for ingress `{name}`")
