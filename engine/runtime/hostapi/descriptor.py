"""Strict decoding of the JSON descriptors guests hand to host APIs (spec §6.10, §6.11).

The descriptors come from guest memory, so they are hostile: not UTF-8, duplicate keys (a parser
differential), absurd nesting, NaN, unknown or mistyped fields. Each is refused with a message
that describes the problem and never repeats the guest's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.runtime.outputs import has_lone_surrogate


class HostApiError(EngineError):
    """A refused or failed host API call; `message` is what the guest (and the log) may see.

    Messages are redacted before they leave (spec §6.12); `redacted=True` marks a message whose
    every part is fixed text, where redaction would only mangle words like `secret-ref`.
    """

    error_kind = ErrorKind.DENIED  # a guest's request refused (or failed): data for the guest

    def __init__(self, message: str, redacted: bool = False):
        super().__init__(message)
        self.message = message
        self.redacted = redacted


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("duplicate field")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_object(data: bytes, what: str, fields: Mapping[str, tuple[type, bool]]) -> dict[str, Any]:
    """Decode `data` as one JSON object with exactly the given fields: name -> (type, required).

    A `None` value counts as absent for optional fields (serde's Option).
    """
    prefix = f"invalid {what} JSON"
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise HostApiError(f"{prefix}: descriptor is not UTF-8") from None
    except RecursionError:
        raise HostApiError(f"{prefix}: nesting is too deep") from None
    except json.JSONDecodeError as error:
        raise HostApiError(f"{prefix}: {error.msg} at line {error.lineno} column {error.colno}") from None
    except ValueError as error:
        raise HostApiError(f"{prefix}: {error}") from None
    if "\\u" in text and has_lone_surrogate(value):
        raise HostApiError(f"{prefix}: a \\u escape is a lone surrogate (not valid UTF-8)")
    return check_fields(value, what, fields)


def check_fields(value: Any, what: str, fields: Mapping[str, tuple[type, bool]]) -> dict[str, Any]:
    """`value` must be an object with exactly the given fields: name -> (type, required)."""
    prefix = f"invalid {what} JSON"
    if not isinstance(value, dict):
        raise HostApiError(f"{prefix}: expected an object")
    for key in value:
        if key not in fields:
            raise HostApiError(f"{prefix}: unknown field (allowed: {', '.join(fields)})")
    out: dict[str, Any] = {}
    for name, (kind, required) in fields.items():
        item = value.get(name)
        if item is None:
            if required:
                raise HostApiError(f"{prefix}: missing field `{name}`")
            continue
        if not isinstance(item, kind) or (isinstance(item, bool) and kind is not bool):
            raise HostApiError(f"{prefix}: field `{name}` must be {_TYPE_WORDS.get(kind, kind.__name__)}")
        out[name] = item
    return out


_TYPE_WORDS: dict[type, str] = {str: "a string", list: "an array", dict: "an object"}
