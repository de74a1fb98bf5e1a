"""Static inspection spends at most INSPECTION_SECONDS (10 s) on one artifact (issue 17 point 4):
past the bound the artifact's types are unknown, the package is rejected with that reason (the
fact artifact_inspection_stopped and the deny artifact_types_unknown, naming the bound), and the
result is not cached. The bound is a wall-clock deadline the readers check as they tick through
sections, items and type nodes, so a slow input is stopped shortly after the bound whatever its
shape. Tests lower the bound instead of waiting 10 s."""

from __future__ import annotations

import time

import pytest
from rule_cases import TOOL_MANIFEST, codes, judge, write_package
from wasm_builders import TOOL_WORLD_EXPORTS, component, leb128

import engine.artifact as artifact
from engine.artifact import clear_cache, inspect_artifact

DATA = component(TOOL_WORLD_EXPORTS)


def sleb128(value: int) -> bytes:
    """Signed LEB128 (a value type's type index is an s33)."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            return bytes(out + bytes([byte]))
        out.append(byte | 0x80)


def slow_component(types: int) -> bytes:
    """A valid component that is slow to read: `types` list types, each over the previous."""
    # nesting may not pass 100 levels: the chain restarts (a list over u8) every 90 types
    body = b"".join(b"\x70\x7d" if i % 90 == 0 else b"\x70" + sleb128(i - 1) for i in range(types))
    payload = leb128(types) + body
    return b"\x00asm\x0d\x00\x01\x00" + b"\x07" + leb128(len(payload)) + payload


@pytest.fixture
def bound(monkeypatch):
    def set_bound(seconds: float) -> None:
        monkeypatch.setattr(artifact, "INSPECTION_SECONDS", seconds)
        clear_cache()

    yield set_bound
    clear_cache()


def test_past_the_bound_the_types_are_unknown(bound):
    bound(0.0)
    info = inspect_artifact(DATA)
    assert info.form == "unknown" and info.imports == info.exports == ()
    assert info.inspection_bound_s == 0.0
    (diagnostic,) = info.diagnostics
    assert diagnostic.code == "artifact.inspection-bound" and "stopped at its 0 s bound" in diagnostic.message


def test_a_stopped_inspection_is_not_cached(bound):
    bound(0.0)
    assert inspect_artifact(DATA).form == "unknown"
    bound(10.0)
    assert inspect_artifact(DATA).form == "component"


def test_core_modules_have_the_same_bound(bound):
    from wasm_builders import core_module

    bound(0.0)
    assert inspect_artifact(core_module()).form == "unknown"


def test_a_slow_input_is_stopped_shortly_after_the_bound(bound):
    data = slow_component(400_000)
    bound(0.2)
    started = time.monotonic()
    info = inspect_artifact(data)
    elapsed = time.monotonic() - started
    assert info.form == "unknown", info.diagnostics
    assert elapsed < 5, f"stopped after {elapsed:.1f} s"  # generous: the machine may be loaded
    bound(10.0)
    assert inspect_artifact(slow_component(2_000)).form == "component"


def test_the_package_is_rejected_naming_the_bound(bound, tmp_path):
    folder = write_package(tmp_path / "pkg", TOOL_MANIFEST, {"tool.wasm": DATA})
    bound(0.0)
    _, evaluation = judge(folder)
    assert "artifact_types_unknown" in codes(evaluation)
    messages = [c.message for c in evaluation.conclusions() if c.code == "artifact_types_unknown"]
    assert messages == [
        "static inspection of the runtime artifact stopped at its bound of 0 ms; its imports and exports are unknown"
    ]
    bound(10.0)
    _, evaluation = judge(folder)
    assert "artifact_types_unknown" not in codes(evaluation) and not codes(evaluation)


def test_the_default_bound_is_ten_seconds():
    assert artifact.INSPECTION_SECONDS == 10.0
