"""WIT front end: parse and resolve WIT packages, canonical signatures, our bundled worlds.

Public API (imports are lazy, so `import engine.wit` stays cheap and builds no grammar):
    resolve_path(path, features=()) -> Resolve      raises WitError (.diagnostics)
    load_world(world_id) -> World                    bundled worlds, e.g. "yoi:plugin/tool@1.0.0"
    bundled_resolve() -> Resolve                     the Resolve those worlds belong to
    world_surface(world, resolve) -> WorldSurface    imports/exports with structural signatures
    signature(func, resolve, form="structural"|"named") -> str;  type_text(ty, resolve, form)
    parse_text(text, path) -> ast.File               syntax only
    summarize(resolve) -> dict                       names as `yoi wit check --json` reports them
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.wit.errors import WitError

if TYPE_CHECKING:  # the type checker sees the lazy names' real types, not __getattr__'s Any
    from engine.wit.bundled import INSTANCE_WORLD, TOOL_WORLD, bundled_resolve, load_world
    from engine.wit.model import Function, Interface, Package, Resolve, TypeDef, World, WorldItem
    from engine.wit.parser import parse_text
    from engine.wit.resolver import resolve_path
    from engine.wit.signatures import WorldSurface, signature, type_text, world_surface
    from engine.wit.summary import summarize

_LAZY = {
    "resolve_path": "engine.wit.resolver",
    "load_world": "engine.wit.bundled",
    "bundled_resolve": "engine.wit.bundled",
    "TOOL_WORLD": "engine.wit.bundled",
    "INSTANCE_WORLD": "engine.wit.bundled",
    "world_surface": "engine.wit.signatures",
    "WorldSurface": "engine.wit.signatures",
    "signature": "engine.wit.signatures",
    "type_text": "engine.wit.signatures",
    "parse_text": "engine.wit.parser",
    "summarize": "engine.wit.summary",
    "Resolve": "engine.wit.model",
    "World": "engine.wit.model",
    "Interface": "engine.wit.model",
    "Function": "engine.wit.model",
    "TypeDef": "engine.wit.model",
    "Package": "engine.wit.model",
    "WorldItem": "engine.wit.model",
}

# Spelled out (not derived from _LAZY) so linters and type checkers read it; tests/wit/test_wit_package.py
# keeps __all__, _LAZY and the TYPE_CHECKING imports in step.
__all__ = [
    "INSTANCE_WORLD",
    "TOOL_WORLD",
    "Function",
    "Interface",
    "Package",
    "Resolve",
    "TypeDef",
    "WitError",
    "World",
    "WorldItem",
    "WorldSurface",
    "bundled_resolve",
    "load_world",
    "parse_text",
    "resolve_path",
    "signature",
    "summarize",
    "type_text",
    "world_surface",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.wit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
