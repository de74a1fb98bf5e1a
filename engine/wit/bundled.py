"""Our own worlds (`wit/` shipped with the engine), and upstream yoi's at each judged commit,
resolved once per process.

`variant=None` is the engine's own root (`wit/*.wit` + `wit/deps/`); a variant name such as
`yoi@b12e0785` is upstream's copy of that commit (`wit/hosts/<name>/`, engine.wit.variants), so
the two incompatible `yoi:host@1.0.0` packages are never mixed in one resolve.
"""

from __future__ import annotations

import threading

from engine.wit import model as m

TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"

_lock = threading.Lock()
_resolves: dict[str | None, m.Resolve] = {}


def bundled_resolve(variant: str | None = None) -> m.Resolve:
    """The resolve of the bundled `wit/` folder (yoi:plugin + deps/yoi-host), or of host variant
    `variant` (KeyError names the bundled ones; engine.wit.variants.VariantError if its files do
    not match their pins)."""
    resolve = _resolves.get(variant)
    if resolve is None:
        with _lock:
            resolve = _resolves.get(variant)
            if resolve is None:
                from engine.resources import wit_dir
                from engine.wit.resolver import resolve_path
                from engine.wit.variants import variant_folder

                folder = wit_dir() if variant is None else variant_folder(variant)
                resolve = _resolves[variant] = resolve_path(folder)
    return resolve


def load_world(world_id: str, variant: str | None = None) -> m.World:
    """A bundled world by id, e.g. `yoi:plugin/instance@1.0.0`, of our root or of host variant
    `variant`; KeyError names the known ones."""
    resolve = bundled_resolve(variant)
    try:
        return resolve.worlds[world_id]
    except KeyError:
        known = ", ".join(sorted(resolve.worlds))
        raise KeyError(f"unknown world `{world_id}` (bundled: {known})") from None
