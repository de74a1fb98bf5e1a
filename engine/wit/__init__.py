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
from typing import Any

from engine.wit.errors import WitError

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

__all__ = ["WitError", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.wit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
