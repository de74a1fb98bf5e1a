"""Static inspection of plugin artifacts; never instantiates or runs anything.

`inspect_artifact(data)` tells what the bytes are and what they import and export:
  placeholder text of an authoring template  -> form "placeholder" (placeholder.py)
  core module (preamble layer 0)              -> pure-Python section reader (sections.py)
  component (preamble layer 1)                -> wasmtime type introspection (component_types.py)
  anything else, or malformed                 -> form "unreadable" with a diagnostic
Component results are cached in-process by sha256, because compiling is the one costly step and
the same artifact is inspected by check, list, show, explain and graph alike.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from engine.artifact.model import (
    FORMS,
    ArtifactExport,
    ArtifactImport,
    ArtifactInfo,
    info_from_json,
    info_to_json,
    unreadable,
)
from engine.artifact.placeholder import placeholder_kind
from engine.artifact.sections import MalformedWasm, check_component_framing, classify, inspect_core

__all__ = [
    "FORMS",
    "ArtifactExport",
    "ArtifactImport",
    "ArtifactInfo",
    "clear_cache",
    "inspect_artifact",
]

CACHE_ENTRIES = 64
_cache: OrderedDict[str, ArtifactInfo] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _inspect_component_on_disk(data: bytes, sha256: str) -> ArtifactInfo:
    """Component types cost a compile (and importing wasmtime); keep them in the user's cache."""
    import json
    from importlib.metadata import version

    from engine.cache import cache_key, read_private, write_private

    name = f"artifact-{cache_key('component-types', sha256, version('wasmtime'))}.json"
    cached = read_private(name)
    if cached is not None:
        try:
            return info_from_json(json.loads(cached))
        except (ValueError, KeyError, TypeError):
            pass
    from engine.artifact.component_types import inspect_component

    info = inspect_component(data, sha256)
    write_private(name, json.dumps(info_to_json(info)).encode())
    return info


def _inspect_component_cached(data: bytes) -> ArtifactInfo:
    key = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    info = _inspect_component_on_disk(data, key)
    with _cache_lock:
        _cache[key] = info
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return info


def inspect_artifact(data: bytes) -> ArtifactInfo:
    """Classify and describe artifact bytes; every input yields an ArtifactInfo, never raises."""
    data = bytes(data)
    kind = placeholder_kind(data)
    if kind is not None:
        return ArtifactInfo(form="placeholder", placeholder=kind)
    if not data:
        return unreadable("artifact is empty")
    form = classify(data)
    if form == "core":
        return inspect_core(data)
    if form == "component":
        try:
            check_component_framing(data)
        except MalformedWasm as exc:
            return unreadable(f"component is malformed: {exc}")
        return _inspect_component_cached(data)
    if data[:4] == b"\x00asm" and len(data) >= 8:
        return unreadable("artifact has an unsupported wasm version or layer")
    return unreadable("artifact is not WebAssembly (no wasm preamble)")
