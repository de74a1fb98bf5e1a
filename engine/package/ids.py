"""The safe-id rule of spec §1.5, shared by manifests (plugin/hook/service/ingress ids) and refs.

Kept in its own tiny module so the manifest loader and the grants layer apply the very same rule
without importing each other.
"""

from __future__ import annotations

import re

SAFE_ID_MAX_BYTES = 128
# ASCII only; fullmatch so a trailing newline never slips through (`$` would allow one).
SAFE_ID_RE = re.compile(rf"(?!\.)[A-Za-z0-9._-]{{1,{SAFE_ID_MAX_BYTES}}}(?<!\.)")


def is_safe_id(text: object) -> bool:
    """True when `text` is a non-empty ASCII id of [A-Za-z0-9._-], ≤128 bytes, no leading/trailing dot."""
    return isinstance(text, str) and SAFE_ID_RE.fullmatch(text) is not None
