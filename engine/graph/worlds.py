"""What a declared world requires, read from the bundled WIT (engine.wit), cached per world id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class WorldSummary:
    """Functions of a world: (interface id or "" for world-level, function name, structural signature)."""

    exports: tuple[tuple[str, str, str], ...]
    imports: tuple[tuple[str, str, str], ...]


@cache
def world_summary(world_id: str) -> WorldSummary | None:
    """Summary of one of our bundled worlds, or None when the world is unknown."""
    from engine import wit

    try:
        world = wit.load_world(world_id)
    except (wit.WitError, KeyError, LookupError):
        return None
    surface = wit.world_surface(world, wit.bundled_resolve())
    exports = [("", name, sig) for name, sig in surface.exports.items()]
    exports += [(iface, name, sig) for iface, funcs in surface.export_interfaces.items() for name, sig in funcs.items()]
    imports = [("", name, sig) for name, sig in surface.import_functions.items()]
    imports += [(iface, name, sig) for iface, funcs in surface.imports.items() for name, sig in funcs.items()]
    return WorldSummary(exports=tuple(sorted(exports)), imports=tuple(sorted(imports)))
