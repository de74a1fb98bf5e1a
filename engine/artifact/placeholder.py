"""Placeholder artifacts written by authoring templates in place of a built component.

A template ships a short text file where the `.wasm` will go, so a fresh template checks as
"partial" instead of failing to parse. Recognition is by exact bytes (spec §4.2): the reference's
tool template placeholder, and our own instance template placeholder (the reference embeds an
instance template too but does not recognize its placeholder; we do).
"""

from __future__ import annotations

TOOL_TEMPLATE_PLACEHOLDER = (
    b"placeholder component artifact for authoring-template checks; "
    b"replace with a built wasm component before enabling.\n"
)
INSTANCE_TEMPLATE_PLACEHOLDER = (
    b"placeholder instance component artifact for authoring-template checks; "
    b"replace with a built wasm component before enabling.\n"
)
PLACEHOLDERS = {
    TOOL_TEMPLATE_PLACEHOLDER: "tool-template",
    INSTANCE_TEMPLATE_PLACEHOLDER: "instance-template",
}
_MAX_PLACEHOLDER_LEN = max(map(len, PLACEHOLDERS))


def placeholder_kind(data: bytes) -> str | None:
    """ "tool-template" / "instance-template" when `data` is exactly that placeholder, else None."""
    if len(data) > _MAX_PLACEHOLDER_LEN:
        return None
    return PLACEHOLDERS.get(bytes(data))
