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


# SemVer 2.0.0 (semver.org's recommended pattern), anchored with fullmatch: no `v` prefix, no
# leading zeros, no spaces or control characters, so a version is one token on a report line.
SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
# Bidi marks, embeddings, overrides and isolates, and zero-width characters: a name holding one
# shows as another name (or as nothing) on a screen, so two different names could look alike.
INVISIBLE_RE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# The same characters, refused, as a JSON Schema `pattern` (escapes every regex dialect reads).
NO_INVISIBLE_PATTERN = r"^[^\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$"
# What `str.strip()` removes (White_Space and U+001C-U+001F): a value with one other character
# is not blank (`pattern` searches, so this is "holds a visible character").
NOT_BLANK_PATTERN = r"[^\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def is_semver(text: object) -> bool:
    return isinstance(text, str) and SEMVER_RE.fullmatch(text) is not None


def has_invisible(text: object) -> bool:
    """True when `text` holds a bidi control or a zero-width character (INVISIBLE_RE)."""
    return isinstance(text, str) and INVISIBLE_RE.search(text) is not None


def is_safe_id(text: object) -> bool:
    """True when `text` is a non-empty ASCII id of [A-Za-z0-9._-], ≤128 bytes, no leading/trailing dot."""
    return isinstance(text, str) and SAFE_ID_RE.fullmatch(text) is not None
