"""Decoding what crosses the guest boundary: tool input (spec §6.5), ToolOutput (§6.9), lifecycle
outputs (§6.7) and ingress outputs (§6.6, bounded to a JSON object here).

Every check returns a RuntimeFault with the reference's wording, so a caller sees the same words
the reference host would print.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.runtime.errors import RuntimeFault

MAX_SUMMARY_BYTES = 1024


def parse_json_text(text: str, failure: str) -> Any:
    """Strict json.loads of guest output, or an `invalid_output` fault `<failure>: <parse error>`."""
    try:
        return _STRICT.decode(text)  # NaN from a guest must not reach a caller's JSON either
    except (ValueError, RecursionError) as error:
        raise RuntimeFault("invalid_output", f"{failure}: {error}") from None


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:32]} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"object key {json.dumps(key[:64])} appears twice")
            seen.add(key)
    return value


# Made once (json.loads makes a decoder per call with these options).
_STRICT = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)
_STRICT_INPUT = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite, object_pairs_hook=_unique_keys)


def loads_input(text: str) -> Any:
    """json.loads for caller input that goes to a guest: NaN, Infinity, numbers that overflow
    to infinity and repeated object keys are refused (ValueError). Parsers disagree on all of
    them (which duplicate wins, what NaN is), so the value checked here could differ from the
    value the guest reads from the same text."""
    return _STRICT_INPUT.decode(text)


def utf8_exceeds(text: str, limit: int) -> bool:
    """Whether `text` is longer than `limit` bytes in UTF-8, encoding it only when the character
    count cannot decide (UTF-8 takes 1 to 4 bytes per character)."""
    count = len(text)
    return count > limit or (count > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit)


def has_lone_surrogate(value: Any) -> bool:
    """JSON can spell a lone surrogate (`"\\ud800"`), which no UTF-8 text holds: such a value cannot
    cross into a guest (whose strings are UTF-8) as the same value."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def dump_json(value: Any) -> str:
    """Compact JSON text of a Python value; NaN and infinities are not JSON and raise ValueError."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def tool_input_text(
    tool: str, value: str | dict, limit: int, validate: Callable[[Any, str], str | None] | None = None
) -> str:
    """The input JSON text for `tool`, checked for size and syntax (spec §6.5 steps 1-2) and, with
    `validate` (the tool's compiled `input_schema`), against the schema (an addition: the
    reference only checks size and syntax)."""

    def invalid(why: str) -> RuntimeFault:
        return RuntimeFault("invalid_input", f"plugin tool `{tool}` input {why}")

    try:
        text = value if isinstance(value, str) else dump_json(value)  # serializing is the check
    except (TypeError, ValueError, RecursionError) as error:
        raise invalid(f"is not valid JSON: {error}") from None
    if utf8_exceeds(text, limit):
        raise invalid(f"exceeds {limit} bytes")
    if isinstance(value, str):
        try:
            value = loads_input(text)
        except (ValueError, RecursionError) as error:
            raise invalid(f"is not valid JSON: {error}") from None
        if "\\u" in text and has_lone_surrogate(value):  # `"\ud800"`: ASCII text, no UTF-8 string
            raise invalid("is not valid UTF-8: a \\u escape is a lone surrogate")
    if validate is not None:
        mismatch = validate(value, "$")
        if mismatch is not None:
            raise invalid(f"does not match its input_schema: {mismatch}")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid("is not valid UTF-8") from None
    return text


def _utf8(raw: bytes | str, what: str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuntimeFault("invalid_output", f"{what} is not UTF-8: {error}") from None


def decode_tool_output(raw: bytes | str | None, limit: int) -> dict[str, Any]:
    """Spec §6.9: a ToolOutput object `{summary, content?}` or an `invalid_output` fault."""
    if not raw:
        raise RuntimeFault("invalid_output", "guest did not call output_write")
    if len(raw) > limit if isinstance(raw, bytes) else utf8_exceeds(raw, limit):
        raise RuntimeFault("invalid_output", f"guest output exceeds {limit} bytes")
    text = _utf8(raw, "guest output")
    value = parse_json_text(text, "guest output is not valid JSON")
    if not isinstance(value, dict):
        raise RuntimeFault("invalid_output", "guest output JSON must be an object")
    for key in value:
        if key not in ("summary", "content"):
            raise RuntimeFault("invalid_output", f"guest output contains unsupported key `{key}`")
    if "summary" not in value:
        raise RuntimeFault("invalid_output", "guest output must include a summary string")
    summary = value["summary"]
    if not isinstance(summary, str):
        raise RuntimeFault("invalid_output", "guest output summary must be a string")
    if not summary:
        raise RuntimeFault("invalid_output", "guest output summary must not be empty")
    if len(summary.encode("utf-8")) > MAX_SUMMARY_BYTES:
        raise RuntimeFault("invalid_output", f"guest output summary exceeds {MAX_SUMMARY_BYTES} bytes")
    content = value.get("content")
    if content is not None and not isinstance(content, str):
        raise RuntimeFault("invalid_output", "guest output content must be a string or null")
    if content is not None and len(content.encode("utf-8")) > limit:
        raise RuntimeFault("invalid_output", f"guest output content exceeds {limit} bytes")
    return {"summary": summary} if content is None else {"summary": summary, "content": content}


def decode_lifecycle(phase: str, raw: str, limit: int) -> Any:
    """Spec §6.7 lifecycle output: bounded JSON; an `error` key or state `failed` is a failure
    (kind `failed`, which marks the instance failed)."""
    if utf8_exceeds(raw, limit):
        raise RuntimeFault("invalid_output", f"plugin component {phase} output exceeds {limit} bytes")
    value = parse_json_text(raw, f"plugin component {phase} output is not JSON")
    if isinstance(value, dict) and "error" in value:
        raise RuntimeFault("failed", f"plugin component {phase} returned error: {_compact(value['error'])}")
    if isinstance(value, dict) and value.get("state") == "failed":
        raise RuntimeFault("failed", f"plugin component {phase} returned failed status: {_compact(value)}")
    return value


def decode_ingress_output(raw: str, limit: int) -> dict[str, Any]:
    """Ingress output must be a bounded JSON object (stricter than the reference's any-JSON)."""
    if utf8_exceeds(raw, limit):
        raise RuntimeFault("invalid_output", f"plugin ingress output exceeds {limit} bytes")
    value = parse_json_text(raw, "plugin ingress output is not JSON")
    if not isinstance(value, dict):
        raise RuntimeFault("invalid_output", "plugin ingress output must be a JSON object")
    return value


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
