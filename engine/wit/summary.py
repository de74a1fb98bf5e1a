"""Names a resolve defines, in the shape `yoi wit check --json` reports them."""

from __future__ import annotations

from typing import Any

from engine.wit import model as m


def interface_summary(iface: m.Interface) -> dict[str, Any]:
    return {"name": iface.id, "functions": list(iface.functions), "types": list(iface.types)}


def _labels(items) -> dict[str, str]:
    """Interfaces imported or exported under a plain name (`import team-a: wasi:kv/store;`,
    `export x: interface {..}`): label -> the interface behind it."""
    return {key: item.interface for key, item in items.items() if item.kind == "interface" and item.interface != key}


def world_summary(world: m.World) -> dict[str, Any]:
    return {
        "name": world.id,
        "imports": list(world.imports),
        "exports": list(world.exports),
        "import_interfaces": _labels(world.imports),
        "export_interfaces": _labels(world.exports),
    }


def summarize(resolve: m.Resolve) -> dict[str, Any]:
    """packages, named interfaces and worlds, in dependency order (main packages last)."""
    keys = list(resolve.packages)
    interfaces: list[dict[str, Any]] = []
    worlds: list[dict[str, Any]] = []
    for key in keys:
        pkg = resolve.packages[key]
        interfaces.extend(interface_summary(resolve.interfaces[i]) for i in pkg.interfaces.values())
        worlds.extend(world_summary(resolve.worlds[w]) for w in pkg.worlds.values())
    return {"packages": keys, "interfaces": interfaces, "worlds": worlds}
