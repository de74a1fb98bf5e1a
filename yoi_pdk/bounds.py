"""The reference PDK's constants and text bounding (spec §6.14), in plain Python.

A guest runs inside a component with no WASI, so this module imports nothing but the standard
library and never touches files, clocks or randomness.
"""

from __future__ import annotations

import json
import re
from typing import Any

TOOL_WORLD = "yoi:plugin/tool@1.0.0"
PLUGIN_INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"
MAX_TOOL_OUTPUT_BYTES = 65536
MAX_SUMMARY_BYTES = 1024
MAX_CONTENT_BYTES = MAX_TOOL_OUTPUT_BYTES - MAX_SUMMARY_BYTES - 4096  # 60416
MAX_ERROR_MESSAGE_BYTES = 4096
MAX_LIFECYCLE_OUTPUT_BYTES = 65536  # start/status/stop and handle-ingress outputs (spec §6.7, §6.6)
MAX_OUTPUT_COMMANDS = 16  # service output commands per ingress output
MAX_STATUS_UPDATE_BYTES = 16 * 1024
MAX_COMMAND_PAYLOAD_BYTES = 16384  # an output command's serialized payload (yoi-current-spec.md §6.16)
MAX_COMMAND_ID_BYTES = 128  # correlation_id, source_event_id, command_id
ELLIPSIS = "\u2026"  # three UTF-8 bytes

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def byte_len(text: str) -> int:
    """UTF-8 length; lone surrogates (possible in Python strings) count as the host would see them."""
    return len(text.encode("utf-8", "surrogatepass"))


def bound_text(text: str, budget: int) -> str:
    """Control characters but newline and tab become spaces; over `budget` UTF-8 bytes, cut at a
    character boundary at most `budget - 3` bytes long and append an ellipsis (spec §6.14)."""
    text = _CONTROL.sub(" ", str(text)).encode("utf-8", "replace").decode("utf-8")
    data = text.encode("utf-8")
    if len(data) <= budget:
        return text
    return data[: max(budget - len(ELLIPSIS.encode("utf-8")), 0)].decode("utf-8", "ignore") + ELLIPSIS


def to_json(value: Any) -> str:
    """Compact JSON with raw UTF-8, as the host's serde_json would write it; raises ValueError or
    TypeError for values JSON cannot hold (NaN, sets, objects)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def describe_exception(error: BaseException) -> str:
    """`Type: message` for a guest exception, safe even when its `__str__` itself raises."""
    try:
        detail = str(error)
    except Exception:  # noqa: BLE001 - a hostile __str__ must not escape either
        detail = "<unprintable>"
    name = type(error).__name__
    return f"{name}: {detail}" if detail else name
