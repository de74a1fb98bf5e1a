"""Target profiles: the hosts a package is judged for (targets/*.toml, docs/targets.md).

bundled_targets() -> TargetRegistry       .profiles, .get(name_or_alias), .select(["all"]), .default()
load_profile(path) -> TargetProfile       one file, schema-checked (TargetError)
target_facts(profiles) -> {pred: {tuple}} the profiles as facts (TARGET_FACT_SCHEMA)
"""

from __future__ import annotations

from engine.targets.facts import TARGET_FACT_SCHEMA, target_facts
from engine.targets.load import ALL, TargetError, UnknownTarget, load_profile
from engine.targets.model import AcceptedRuntime, HostApiProfile, HostInterface, TargetProfile, Upstream
from engine.targets.registry import TargetRegistry, build_registry, bundled_targets, load_registry

__all__ = [
    "ALL",
    "TARGET_FACT_SCHEMA",
    "AcceptedRuntime",
    "HostApiProfile",
    "HostInterface",
    "TargetError",
    "TargetProfile",
    "TargetRegistry",
    "UnknownTarget",
    "Upstream",
    "build_registry",
    "bundled_targets",
    "load_profile",
    "load_registry",
    "target_facts",
]
