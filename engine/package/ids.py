"""The safe-id rule of spec §1.5, shared by manifests (plugin/hook/service/ingress ids) and refs.

Kept in its own tiny module so the manifest loader and the grants layer apply the very same rule
without importing each other.
"""

from __future__ import annotations

import re

SAFE_ID_MAX_BYTES = 128
# ASCII only; fullmatch so a trailing newline never slips through (`$` would allow one).
SAFE_ID_RE = re.compile(rf"(?!\.)[A-Za-z0-9._-]{{1,{SAFE_ID_MAX_BYTES}}}(?<!\.)")
# The same rule for JSON Schema `pattern` (editor schemas): ECMA-262 without look-around, which
# taplo's regex engine lacks. tests/core/test_json_schema.py checks both agree on every string.
SAFE_ID_PATTERN = rf"^[A-Za-z0-9_-](?:[A-Za-z0-9._-]{{0,{SAFE_ID_MAX_BYTES - 2}}}[A-Za-z0-9_-])?$"


def is_safe_id(text: object) -> bool:
    """True when `text` is a non-empty ASCII id of [A-Za-z0-9._-], ≤128 bytes, no leading/trailing dot."""
    return isinstance(text, str) and SAFE_ID_RE.fullmatch(text) is not None
