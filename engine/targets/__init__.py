"""Target profiles: the hosts a package is judged for (targets/*.toml, docs/targets.md).

bundled_targets() -> TargetRegistry       .profiles, .get(name_or_alias), .select(["all"]), .default()
load_profile(path) -> TargetProfile       one file, schema-checked (TargetError)
target_facts(profiles) -> {pred: {tuple}} the profiles as facts (TARGET_FACT_SCHEMA)

The names are imported on first use (PEP 562), so the fact schema (engine.graph.facts) costs a
dataclass or two, not the profile loader and its validator.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers (F401: re-exported on first use)
    from engine.targets.facts import TARGET_FACT_SCHEMA, target_facts  # noqa: F401
    from engine.targets.load import ALL, TargetError, UnknownTarget, load_profile  # noqa: F401
    from engine.targets.model import AcceptedRuntime, HostApiProfile, HostInterface, TargetProfile, Upstream  # noqa: F401
    from engine.targets.registry import TargetRegistry, build_registry, bundled_targets, load_registry  # noqa: F401

_WHERE = {
    "TARGET_FACT_SCHEMA": "facts",
    "target_facts": "facts",
    "ALL": "load",
    "TargetError": "load",
    "UnknownTarget": "load",
    "load_profile": "load",
    "AcceptedRuntime": "model",
    "HostApiProfile": "model",
    "HostInterface": "model",
    "TargetProfile": "model",
    "Upstream": "model",
    "TargetRegistry": "registry",
    "build_registry": "registry",
    "bundled_targets": "registry",
    "load_registry": "registry",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
