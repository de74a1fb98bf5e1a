"""Conclusion message templates: `{Var}` names a head variable, `{{` and `}}` are literal braces."""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.datalog.ast import Value

_FIELD_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def template_fields(message: str) -> list[str]:
    """Names the template refers to, in order (checked against the head at load time)."""
    return [m.group(1) for m in _FIELD_RE.finditer(message) if m.group(1)]


def render_template(message: str, values: Mapping[str, Value]) -> str:
    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group()[0]
        return str(values.get(name, match.group()))

    return _FIELD_RE.sub(_sub, message)
