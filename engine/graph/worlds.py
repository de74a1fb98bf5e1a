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
    """Summary of one of our bundled worlds, or None when the world is unknown.

    Parsing and resolving the bundled WIT costs more than the rest of a `check`, so summaries
    are kept in the user's cache, keyed by the content of every bundled .wit file.
    """
    import json

    from engine.cache import cache_key, read_private, write_private
    from engine.resources import wit_dir

    sources = sorted(wit_dir().rglob("*.wit"))
    name = f"world-{cache_key(world_id, *(p.read_bytes() for p in sources))}.json"
    cached = read_private(name)
    if cached is not None:
        try:
            data = json.loads(cached)
            return WorldSummary(exports=tuple(map(tuple, data["exports"])), imports=tuple(map(tuple, data["imports"])))
        except (ValueError, KeyError, TypeError):
            pass
    summary = _summarize(world_id)
    if summary is not None:
        write_private(name, json.dumps({"exports": summary.exports, "imports": summary.imports}).encode())
    return summary


def _summarize(world_id: str) -> WorldSummary | None:
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
