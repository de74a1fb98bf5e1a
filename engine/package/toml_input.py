"""Helpers for the two untrusted TOML inputs, `plugin.toml` and the enablement config.

Both must report where a TOML error is without repeating tomllib's text (which can quote the
input), and both hand TOML values on as JSON values.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import date, datetime, time
from typing import Any

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)\s*$")


def toml_error_position(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, int]:
    """1-based (line, column) of a tomllib error. tomllib (3.11) puts the position only in its
    message: `(at line L, column C)`, or `(at end of document)`, which is the end of `text`."""
    match = _TOML_POSITION.search(str(error))
    if match:
        return int(match.group(1)), int(match.group(2))
    return text.count("\n") + 1, len(text) - text.rfind("\n")


def toml_failure_hint(text: str) -> str:
    """What to add to a TOML parse error when the cause is one tomllib does not name: a leading
    UTF-8 byte order mark (some Windows editors write one; TOML forbids it)."""
    if text.startswith("\ufeff"):
        return " (the file starts with a UTF-8 byte order mark; save it without one)"
    return ""


def toml_to_json(value: Any, *, non_finite_as_text: bool = False) -> Any:
    """A TOML value as a JSON value: tables -> dicts, arrays -> lists, date/times -> ISO text,
    NaN/inf -> null (as serde toml -> serde_json does) or, with `non_finite_as_text`, their text."""
    if isinstance(value, dict):
        return {key: toml_to_json(item, non_finite_as_text=non_finite_as_text) for key, item in value.items()}
    if isinstance(value, list):
        return [toml_to_json(item, non_finite_as_text=non_finite_as_text) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value) if non_finite_as_text else None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value
