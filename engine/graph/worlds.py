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
    return WorldSummary(exports=tuple(world_functions(world, "exports")), imports=tuple(world_functions(world, "imports")))


def world_functions(world, direction: str):
    """Adapter over the WIT model; see engine.wit for the world item shapes."""
    return wit_world_items(world, direction)


def wit_world_items(world, direction):  # replaced once the WIT API is final
    raise NotImplementedError
