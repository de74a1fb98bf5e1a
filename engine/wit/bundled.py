"""Our own worlds (`wit/` shipped with the engine), resolved once per process."""

from __future__ import annotations

import threading

from engine.wit import model as m

TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"

_lock = threading.Lock()
_resolve: m.Resolve | None = None


def bundled_resolve() -> m.Resolve:
    """The resolve of the bundled `wit/` folder (yoi:plugin + deps/yoi-host)."""
    global _resolve
    if _resolve is None:
        with _lock:
            if _resolve is None:
                from engine.resources import wit_dir
                from engine.wit.resolver import resolve_path

                _resolve = resolve_path(wit_dir())
    return _resolve


def load_world(world_id: str) -> m.World:
    """A bundled world by id, e.g. `yoi:plugin/instance@1.0.0`; KeyError names the known ones."""
    resolve = bundled_resolve()
    try:
        return resolve.worlds[world_id]
    except KeyError:
        known = ", ".join(sorted(resolve.worlds))
        raise KeyError(f"unknown world `{world_id}` (bundled: {known})") from None
