"""Placeholder artifacts written by authoring templates in place of a built component.

A template ships a short text file where the `.wasm` will go, so a fresh template checks as
"partial" instead of failing to parse. Recognition is by exact bytes (spec §4.2): the reference's
tool template placeholder, our own instance template placeholder and the reference's instance
template placeholder (the reference embeds an instance template too but does not recognize its
placeholder; we do).
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
# The text file upstream's `rust-component-instance` template (the `rust-component-service` of
# `yoi plugin new`) ships where its component goes, the same bytes at 43c9216e and b12e0785 (git
# blob 66d02db0). Upstream's check does not recognize it (yoi-current-spec.md §9.2) and so
# calls the file unreadable; we recognize it, so upstream's own template is `partial`, not broken.
UPSTREAM_INSTANCE_TEMPLATE_PLACEHOLDER = (
    b"# Build with:\n# cargo component build --release\n"
    b"# cp target/wasm32-wasip1/release/example_yoi_instance_plugin.wasm plugin.component.wasm\n"
)
PLACEHOLDERS = {
    TOOL_TEMPLATE_PLACEHOLDER: "tool-template",
    INSTANCE_TEMPLATE_PLACEHOLDER: "instance-template",
    UPSTREAM_INSTANCE_TEMPLATE_PLACEHOLDER: "upstream-instance-template",
}
_MAX_PLACEHOLDER_LEN = max(map(len, PLACEHOLDERS))


def placeholder_kind(data: bytes) -> str | None:
    """ "tool-template", "instance-template" or "upstream-instance-template" when `data` is exactly
    that placeholder, else None."""
    if len(data) > _MAX_PLACEHOLDER_LEN:
        return None
    return PLACEHOLDERS.get(bytes(data))
