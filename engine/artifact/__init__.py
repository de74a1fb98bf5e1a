"""Static inspection of plugin artifacts: pure Python, never compiles, instantiates or runs anything.

`inspect_artifact(data)` tells what the bytes are and what they import and export:
  placeholder text of an authoring template  -> form "placeholder" (placeholder.py)
  core module (preamble layer 0)              -> section reader (sections.py)
  component (preamble layer 1)                -> component reader (component_reader.py,
                                                 rendered by component_types.py)
  anything else, or malformed                 -> form "unreadable" with a diagnostic
  inspection past INSPECTION_SECONDS          -> form "unknown" (types unknown; rules reject it)
Both readers also report each core module's memories and tables and what one instantiation
creates (ArtifactInfo.modules, .counts). wasmtime is not imported on any of these paths.
Results are cached in-process by sha256, because check, list, show, explain and graph inspect
the same artifact alike.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from engine.artifact.binary import Budget, BudgetExceeded, MalformedWasm
from engine.artifact.model import (
    FORMS,
    ArtifactExport,
    ArtifactImport,
    ArtifactInfo,
    CoreMemory,
    CoreTable,
    InstantiationCounts,
    ModuleShape,
    inspection_stopped,
    unreadable,
)
from engine.artifact.placeholder import placeholder_kind
from engine.artifact.sections import check_component_framing, classify, inspect_core

__all__ = [
    "FORMS",
    "INSPECTION_SECONDS",
    "ArtifactExport",
    "ArtifactImport",
    "ArtifactInfo",
    "CoreMemory",
    "CoreTable",
    "InstantiationCounts",
    "ModuleShape",
    "clear_cache",
    "inspect_artifact",
]

# The bound on static inspection of one artifact (issue 17): past it the artifact's types are
# unknown and the package is rejected (rules/abi.rules, artifact_inspection_stopped).
INSPECTION_SECONDS = 10.0

CACHE_ENTRIES = 64
_cache: OrderedDict[str, ArtifactInfo] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _inspect_wasm(data: bytes, form: str) -> ArtifactInfo:
    budget = Budget(INSPECTION_SECONDS)
    try:
        if form == "core":
            return inspect_core(data, budget)
        try:
            check_component_framing(data)
        except MalformedWasm as exc:
            return unreadable(f"component is malformed: {exc}")
        from engine.artifact.component_types import inspect_component

        return inspect_component(data, budget)
    except BudgetExceeded as exc:
        return inspection_stopped(exc.seconds)


def _inspect_cached(data: bytes, form: str) -> ArtifactInfo:
    key = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    info = _inspect_wasm(data, form)
    if info.form == "unknown":
        return info  # a bound that was hit depends on the machine's load: try again next time
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
    if form in ("core", "component"):
        return _inspect_cached(data, form)
    if data[:4] == b"\x00asm" and len(data) >= 8:
        return unreadable("artifact has an unsupported wasm version or layer")
    return unreadable("artifact is not WebAssembly (no wasm preamble)")
