"""Which upstream host WIT a guest was built against (issue 19 point 4).

`yoi:host@1.0.0` changed in place between yoi 43c9216e and b12e0785 (https became request,
websocket was added), so the version says nothing: a guest's host imports do. A variant
(`wit/hosts/<name>`, engine.wit.variants) matches a guest when every host interface the guest's
worlds import is one the variant's worlds import, with the same functions and signatures.

`variant_imports()` is per process and kept in the private cache keyed by the pins file (which
pins every variant file by sha256), so a `check` that only asks for interface names never
parses WIT.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # facts need the cached names only: no WIT model is imported for them
    from engine.wit import model as m

Shapes = Mapping[str, Mapping[str, str]]  # interface id -> function name -> structural signature

_lock = threading.Lock()
_variant_imports: dict[str, dict[str, dict[str, str]]] | None = None


def imported_interfaces(resolve: m.Resolve) -> dict[str, dict[str, str]]:
    """Every interface the resolve's worlds import, with its functions' signatures."""
    from engine.wit.signatures import world_surface

    out: dict[str, dict[str, str]] = {}
    for world in resolve.worlds.values():
        surface = world_surface(world, resolve)
        for key, functions in surface.imports.items():
            interface = world.imports[key].interface or key
            out.setdefault(interface, dict(functions))
    return out


def _computed() -> dict[str, dict[str, dict[str, str]]]:
    from engine.wit.bundled import bundled_resolve
    from engine.wit.variants import host_variants

    return {name: imported_interfaces(bundled_resolve(name)) for name in sorted(host_variants())}


def variant_imports() -> dict[str, dict[str, dict[str, str]]]:
    """variant name -> the host interfaces its worlds import, with their signatures."""
    global _variant_imports
    if _variant_imports is not None:
        return _variant_imports
    with _lock:
        if _variant_imports is None:
            _variant_imports = _cached()
    return _variant_imports


def _cached() -> dict[str, dict[str, dict[str, str]]]:
    from engine.cache import cache_key, read_private, write_private
    from engine.resources import wit_dir
    from engine.wit.variants import PINS_FILE

    pins = wit_dir().joinpath(*PINS_FILE).read_bytes()
    name = f"host-variants-{cache_key('host-variant-imports', pins)}.json"
    cached = read_private(name)
    if cached is not None:
        try:
            data = json.loads(cached)
            if isinstance(data, dict):
                return {str(v): {str(i): dict(f) for i, f in shapes.items()} for v, shapes in data.items()}
        except (ValueError, TypeError, AttributeError):
            pass
    computed = _computed()
    write_private(name, json.dumps(computed, sort_keys=True).encode())
    return computed


def matching_variants(imports: Shapes, variants: Mapping[str, Shapes] | None = None) -> tuple[str, ...]:
    """The variants a guest importing `imports` (its host interfaces; others are ignored) was
    built against: each host interface it imports is the variant's, function for function. A
    guest importing no host interface matches every variant."""
    variants = variant_imports() if variants is None else variants
    hosts = {i for shapes in variants.values() for i in shapes}
    used = {i: f for i, f in imports.items() if i in hosts}
    return tuple(
        name
        for name, shapes in variants.items()
        if all(i in shapes and dict(shapes[i]) == dict(f) for i, f in used.items())
    )


ENGINE_ROOT = "engine"  # the engine's own WIT root (wit/*.wit): every host API it links


def host_variant_report(resolve: m.Resolve) -> dict | None:
    """What `yoi wit check` says about a root's host imports: None when its worlds import no
    interface any bundled host variant (or the engine's own root) has; else the interfaces and
    the roots they match: upstream's variants, then `engine`."""
    from engine.wit.bundled import bundled_resolve

    variants = {**variant_imports(), ENGINE_ROOT: imported_interfaces(bundled_resolve())}
    hosts = {i for shapes in variants.values() for i in shapes}
    imports = imported_interfaces(resolve)
    used = sorted(i for i in imports if i in hosts)
    if not used:
        return None
    return {"interfaces": used, "variants": list(matching_variants(imports, variants))}
