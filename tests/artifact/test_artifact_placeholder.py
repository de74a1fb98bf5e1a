"""Template placeholder artifacts are recognized by exact bytes (spec §4.2), nothing looser."""

from __future__ import annotations

import pytest

from engine.artifact import inspect_artifact
from engine.artifact.placeholder import (
    INSTANCE_TEMPLATE_PLACEHOLDER, TOOL_TEMPLATE_PLACEHOLDER, placeholder_kind,
)

REFERENCE_TOOL_PLACEHOLDER = (
    "placeholder component artifact for authoring-template checks; replace with a built wasm "
    "component before enabling.\n"
).encode()


def test_tool_template_placeholder_is_the_reference_text():
    assert TOOL_TEMPLATE_PLACEHOLDER == REFERENCE_TOOL_PLACEHOLDER
    assert len(TOOL_TEMPLATE_PLACEHOLDER) == 115


@pytest.mark.parametrize(
    ("data", "kind"),
    [(TOOL_TEMPLATE_PLACEHOLDER, "tool-template"), (INSTANCE_TEMPLATE_PLACEHOLDER, "instance-template")],
)
def test_placeholders_are_recognized(data, kind):
    info = inspect_artifact(data)
    assert (info.form, info.placeholder, info.imports, info.exports, info.diagnostics) == (
        "placeholder", kind, (), (), ()
    )


@pytest.mark.parametrize(
    "data",
    [
        TOOL_TEMPLATE_PLACEHOLDER.rstrip(b"\n"),
        TOOL_TEMPLATE_PLACEHOLDER + b"\n",
        TOOL_TEMPLATE_PLACEHOLDER.replace(b"\n", b"\r\n"),
        INSTANCE_TEMPLATE_PLACEHOLDER.upper(),
        b"placeholder",
    ],
)
def test_near_misses_are_not_placeholders(data):
    assert placeholder_kind(data) is None
    info = inspect_artifact(data)
    assert info.form == "unreadable" and info.placeholder is None
    assert "not WebAssembly" in info.diagnostics[0].message
