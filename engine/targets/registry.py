"""All target profiles, by name and alias (DESIGN decision 10: a target is one file in targets/).

A profile may take what it accepts from others (`union_of`); the registry merges those in once
every file is read, then checks the set as a whole: names and aliases are unique, exactly one
profile is the default, every profile states store limits for each artifact form it accepts,
host API tables are among the keys it reads, and its WIT variants are bundled.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from engine.targets.load import ALL, SUFFIX, TargetError, UnknownTarget, load_profile
from engine.targets.model import HostApiProfile, TargetProfile
from engine.targets.registry_apis import with_registry_apis
from engine.targets.schema import FORM_OF_KIND

MAX_PROFILES = 64
GRANTS_TABLE = "plugins.enabled.grants"


class TargetRegistry:
    """Resolved profiles: the default first, then by name (the order `--target all` reports)."""

    def __init__(self, profiles: Iterable[TargetProfile]):
        self.profiles = tuple(sorted(profiles, key=lambda p: (not p.default, p.name)))
        self._by_name = {name: profile for profile in self.profiles for name in profile.names()}

    def names(self) -> tuple[str, ...]:
        return tuple(profile.name for profile in self.profiles)

    def default(self) -> TargetProfile:
        return self.profiles[0]

    def get(self, name: str) -> TargetProfile:
        """The profile called `name` (or aliased so); UnknownTarget lists what exists."""
        profile = self._by_name.get(name)
        if profile is None:
            raise UnknownTarget(f"unknown target `{name}`; known: {self.describe_names()}")
        return with_registry_apis(profile)

    def describe_names(self) -> str:
        parts = [f"{p.name} (alias {', '.join(p.aliases)})" if p.aliases else p.name for p in self.profiles]
        return ", ".join([*parts, ALL])

    def select(self, requested: Sequence[str]) -> tuple[TargetProfile, ...]:
        """The profiles `--target` values name, in the order given without repeats; `all` is
        every profile; nothing requested is the default."""
        if not requested:
            return (with_registry_apis(self.default()),)
        chosen: dict[str, TargetProfile] = {}
        for name in requested:
            for profile in self.profiles if name == ALL else (self.get(name),):
                chosen.setdefault(profile.name, with_registry_apis(profile))
        return tuple(chosen.values())


def _ordered_union(*groups: Iterable) -> tuple:
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _merge_host_apis(profile: TargetProfile, groups: Sequence[Sequence[HostApiProfile]]) -> tuple[HostApiProfile, ...]:
    merged: dict[str, HostApiProfile] = {}
    for api in (api for group in groups for api in group):
        seen = merged.get(api.name)
        if seen is None:
            merged[api.name] = api
            continue
        if (seen.grant_table, seen.manifest_table) != (api.grant_table, api.manifest_table):
            raise TargetError(
                f"target profile {profile.source}: host API `{api.name}` has different tables in `union_of` targets"
            )
        merged[api.name] = replace(
            seen,
            interfaces=_ordered_union(seen.interfaces, api.interfaces),
            schemes=_ordered_union(seen.schemes, api.schemes),
        )
    return tuple(merged.values())


def _with_union(profile: TargetProfile, members: Sequence[TargetProfile]) -> TargetProfile:
    """`profile` with the acceptance lists of `members` (already resolved) merged in."""
    everyone = [*members, profile]
    return replace(
        profile,
        wit=_ordered_union(*(p.wit for p in everyone)),
        schema_versions=_ordered_union(*(p.schema_versions for p in everyone)),
        manifest_keys=_ordered_union(*(p.manifest_keys for p in everyone)),
        surfaces=_ordered_union(*(p.surfaces for p in everyone)),
        permission_kinds=_ordered_union(*(p.permission_kinds for p in everyone)),
        config_keys=_ordered_union(*(p.config_keys for p in everyone)),
        runtimes=_ordered_union(*(p.runtimes for p in everyone)),
        host_apis=_merge_host_apis(profile, [p.host_apis for p in everyone]),
        reserved_tools=_ordered_union(*(p.reserved_tools for p in everyone)),
    )


def _resolve_unions(raw: dict[str, TargetProfile]) -> dict[str, TargetProfile]:
    """Every profile with its `union_of` merged in, members first (iterative depth-first walk;
    a cycle or an unknown member is an error)."""
    done: dict[str, TargetProfile] = {}
    for start in raw:
        if start in done:
            continue
        stack = [(start, iter(raw[start].union_of))]
        visiting = {start}
        while stack:
            name, members = stack[-1]
            member = next(members, None)
            if member is None:
                stack.pop()
                visiting.discard(name)
                done[name] = _with_union(raw[name], [done[m] for m in raw[name].union_of])
            elif member not in raw:
                raise TargetError(f"target profile {raw[name].source}: `union_of` names unknown target `{member}`")
            elif member in visiting:
                raise TargetError(f"target profile {raw[name].source}: `union_of` forms a cycle through `{member}`")
            elif member not in done:
                visiting.add(member)
                stack.append((member, iter(raw[member].union_of)))
    return done


def _check_complete(profile: TargetProfile, variants: Iterable[str]) -> None:
    where = f"target profile {profile.source}"
    required = {
        "manifest.schema_versions": profile.schema_versions,
        "manifest.keys": profile.manifest_keys,
        "manifest.surfaces": profile.surfaces,
        "manifest.permission_kinds": profile.permission_kinds,
        "runtime.accepts": profile.runtimes,
    }
    empty = [key for key, values in required.items() if not values]
    if empty:
        raise TargetError(f"{where}: `{empty[0]}` is empty (and not filled by `union_of`)")
    for kind in {runtime.kind for runtime in profile.runtimes}:
        form = FORM_OF_KIND[kind]
        if profile.store_limit(form, "instances") is None:
            raise TargetError(f"{where}: it accepts `{kind}` runtimes but states no `limits.store.{form}`")
    for api in profile.host_apis:
        if (GRANTS_TABLE, api.grant_table) not in profile.config_keys:
            raise TargetError(
                f"{where}: host API `{api.name}` grant table `{api.grant_table}` is not among `config.grant_keys`"
            )
        if api.manifest_table is not None and api.manifest_table not in profile.manifest_keys:
            raise TargetError(
                f"{where}: host API `{api.name}` manifest table `{api.manifest_table}` is not among `manifest.keys`"
            )
    unknown = [variant for variant in profile.wit if variant not in variants]
    if unknown:
        raise TargetError(f"{where}: `wit` names `{unknown[0]}`, which is not a bundled variant (wit/hosts/pins.toml)")


def build_registry(raw_profiles: Iterable[TargetProfile], variants: Iterable[str] | None = None) -> TargetRegistry:
    """Merge unions, check the set, and index it. `variants` are the bundled WIT variant names
    (default: wit/hosts/pins.toml)."""
    raw: dict[str, TargetProfile] = {}
    names: dict[str, str] = {}
    for profile in raw_profiles:
        for name in profile.names():
            if name in names:
                raise TargetError(f"target profile {profile.source}: `{name}` is already used by {names[name]}")
            names[name] = profile.source
        raw[profile.name] = profile
    defaults = [p.name for p in raw.values() if p.default]
    if len(defaults) != 1:
        raise TargetError(f"exactly one target profile must be the default (found {len(defaults)})")
    if variants is None:
        from engine.wit.variants import host_variants

        variants = host_variants()
    variants = set(variants)
    resolved = _resolve_unions(raw)
    for profile in resolved.values():
        _check_complete(profile, variants)
    return TargetRegistry(resolved.values())


def profile_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The `*.toml` files directly in `folder` (sorted), at most MAX_PROFILES; anything else
    named `*.toml` (a folder, a FIFO) is left to the bounded read to refuse."""
    folder = Path(folder)
    try:
        entries = sorted(entry for entry in os.listdir(folder) if entry.endswith(SUFFIX))
    except OSError as error:
        raise TargetError(f"target profiles folder {folder} could not be listed: {error.strerror or 'error'}") from None
    if len(entries) > MAX_PROFILES:
        raise TargetError(f"target profiles folder {folder} holds more than {MAX_PROFILES} profiles")
    files = []
    for entry in entries:
        path = folder / entry
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        if stat.S_ISLNK(mode):
            raise TargetError(f"target profile {path} is a symlink, which is not followed here")
        files.append(path)
    return files


def load_registry(folder: str | os.PathLike[str], variants: Iterable[str] | None = None) -> TargetRegistry:
    return build_registry((load_profile(path) for path in profile_files(folder)), variants)


@cache
def bundled_targets() -> TargetRegistry:
    """The profiles shipped in `targets/` (read once per process)."""
    from engine.resources import data_dir

    return load_registry(data_dir("targets"))
