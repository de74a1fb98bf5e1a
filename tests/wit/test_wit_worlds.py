"""Our bundled worlds (wit/): ids, imports and the exact export signatures of spec §6.7."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.resources import wit_dir
from engine.wit import bundled_resolve, load_world, resolve_path, signature, world_surface

HOST = {
    "yoi:host/https@1.0.0": {"request": "func(request-json: string) -> string"},
    "yoi:host/request@1.0.0": {"request": "func(request-json: string) -> string"},
    "yoi:host/websocket@1.0.0": {
        "open": "func(request-json: string) -> string",
        "send-text": "func(handle: u32, text: string) -> string",
        "recv": "func(handle: u32, timeout-ms: u32) -> string",
        "close": "func(handle: u32) -> string",
    },
    "yoi:host/fs@1.0.0": {
        "read": "func(request-json: string) -> string",
        "list": "func(request-json: string) -> string",
        "write": "func(request-json: string) -> string",
    },
}


def test_tool_world():
    world = load_world("yoi:plugin/tool@1.0.0")
    surface = world_surface(world, bundled_resolve())
    assert dict(surface.exports) == {"call": "func(tool-name: string, input-json: string) -> string"}
    assert {k: dict(v) for k, v in surface.imports.items()} == HOST
    assert not surface.import_functions and not surface.export_interfaces


def test_instance_world():
    world = load_world("yoi:plugin/instance@1.0.0")
    r = bundled_resolve()
    assert {k: signature(v.function, r) for k, v in world.exports.items()} == {
        "start": "func(config-json: string) -> string",
        "handle-tool": "func(name: string, input-json: string) -> string",
        "handle-ingress": "func(name: string, event-json: string) -> string",
        "status": "func() -> string",
        "stop": "func() -> string",
    }
    assert list(world.imports) == list(HOST)
    assert {k: dict(v) for k, v in world_surface(world, r).imports.items()} == HOST


def test_bundled_layout_and_packages():
    root = wit_dir()
    assert (root / "yoi-plugin-tool-v1.wit").is_file()
    assert (root / "yoi-plugin-instance-v1.wit").is_file()
    assert (root / "deps" / "yoi-host" / "yoi-host-v1.wit").is_file()
    r = resolve_path(root)
    assert list(r.packages) == ["yoi:host@1.0.0", "yoi:plugin@1.0.0"]
    assert r.main == ("yoi:plugin@1.0.0",)
    assert set(r.worlds) == {"yoi:plugin/tool@1.0.0", "yoi:plugin/instance@1.0.0"}
    assert list(r.interfaces["yoi:host/fs@1.0.0"].functions) == ["read", "list", "write"]


def test_load_world_is_cached_and_rejects_unknown_ids():
    assert load_world("yoi:plugin/tool@1.0.0") is load_world("yoi:plugin/tool@1.0.0")
    with pytest.raises(KeyError, match="yoi:plugin/instance@1.0.0"):
        load_world("yoi:plugin/other@1.0.0")


def test_importing_engine_wit_builds_no_grammar():
    code = "import sys, engine.wit; print('lark' in sys.modules, 'engine.wit.parser' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
