"""Read the `[plugins]` table of a yoi config file into frozen enablement records (spec §3.1).

A yoi Profile or Worker config holds more than plugins, so other top-level tables are ignored;
everything under `plugins` is strict (schema.py). Of `[feature]` only `[feature.plugins] enabled`
is read (it must be a boolean when written); whether plugins are exposed is decided by the rules
from it (rules/status.rules). Errors are `DiagnosticError`s of phase `config` that point at the
line and column of the key they are about (engine/package/manifest_locations.py scans the text
again only when there is something to point at) but never repeat the file's text: `config`
tables may carry secrets.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine import api_registry
from engine.api_registry import GrantTables
from engine.diagnostics import Diagnostic, DiagnosticError, Location
from engine.grants.model import FEATURE_ABSENT, FEATURE_UNSET, Enablement, EnablementConfig, Grants, HostSettings
from engine.grants.schema import check_plugins
from engine.package.manifest_locations import LazyLocations, nearest_location
from engine.package.manifest_schema import path_text, permission_from_table
from engine.package.toml_input import toml_error_position, toml_failure_hint, toml_to_json
from engine.provenance.trust import TrustSettings
from engine.safe_read import ReadError, read_bounded

MAX_CONFIG_BYTES = 1024 * 1024
MAX_REPORTED_PROBLEMS = 20
_TOO_DEEP = "plugin config nests values too deeply"

# `[[plugins.enabled]]`, allowing spaces and quoted key parts.
_HEADER_RE = re.compile(
    r"""[ \t]*\[\[[ \t]*(?:plugins|"plugins"|'plugins')[ \t]*\.[ \t]*"""
    r"""(?:enabled|"enabled"|'enabled')[ \t]*\]\]"""
)
_ML_DELIMS = re.compile(r'"""|\'\'\'')


def _error(kind: str, message: str, location: Location) -> DiagnosticError:
    return DiagnosticError(Diagnostic(kind=kind, phase="config", message=message, location=location))


def default_config_path(workspace: str | Path) -> Path:
    """Issue 2 item 7: without `--config FILE`, a workspace's config is `.yoi/config.toml`."""
    return Path(workspace) / ".yoi" / "config.toml"


def config_workspace(file: str | Path) -> Path:
    """The workspace a config file's relative paths are written against when the command names
    none: the folder holding `.yoi/` for `<workspace>/.yoi/<file>`, else the file's own folder."""
    folder = Path(file).parent
    return folder.parent if folder.name == ".yoi" else folder


def load_config(
    path: str | Path, *, follow_symlinks: bool = True, workspace: str | Path | None = None
) -> EnablementConfig:
    """Read and parse a config file; unreadable, non-regular or oversized files are errors.

    A config named on the command line may be a symlink; one found in a workspace is not followed
    (`follow_symlinks=False`): a checkout must not point the host at another file. `workspace`:
    the folder fs roots written relative (`./data`) are resolved against (default
    `config_workspace(path)`), never the working folder."""
    return parse_config(read_config_text(path, follow_symlinks=follow_symlinks), str(path), workspace)


def read_config_text(path: str | Path, *, follow_symlinks: bool = True) -> str:
    """The text of a config file: a regular file of at most MAX_CONFIG_BYTES, valid UTF-8."""
    file = str(path)
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES, follow_symlinks=follow_symlinks)
    except ReadError as error:
        kind = "bounds" if error.kind == "bounds" else "io"
        message = (
            "plugin config exceeds the configured size bound"
            if kind == "bounds"
            else f"plugin config could not be read: {error.reason}"
        )
        raise _error(kind, message, Location(file)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _error("malformed", "plugin config is not valid UTF-8", Location(file, line)) from None
    return text


def parse_config(text: str, file: str, workspace: str | Path | None = None) -> EnablementConfig:
    """Parse TOML text; return the enablements of `[plugins]` (none when the table is absent).
    Relative fs roots are resolved against `workspace` (default `config_workspace(file)`)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _error(
            "malformed",
            "plugin config could not be parsed as TOML" + toml_failure_hint(text),
            Location(file, *toml_error_position(error, text)),
        ) from None
    except RecursionError:
        raise _error("malformed", _TOO_DEEP, Location(file)) from None
    feature = _plugins_feature(document, text, file)
    if "plugins" not in document:
        return EnablementConfig((), file, plugins_feature=feature)
    base = str(config_workspace(file) if workspace is None else workspace)
    try:
        return replace(_plugins_config(document["plugins"], text, file, base), plugins_feature=feature)
    except RecursionError:
        raise _error("malformed", _TOO_DEEP, Location(file)) from None


def _plugins_feature(document: dict, text: str, file: str) -> str:
    """`[feature.plugins] enabled` as written: "true", "false", FEATURE_UNSET or FEATURE_ABSENT.
    Other features are another host part's business and are not read."""
    if "feature" not in document:
        return FEATURE_ABSENT
    path = ""
    feature = document["feature"]
    plugins = feature.get("plugins", {}) if isinstance(feature, dict) else None
    enabled = plugins.get("enabled") if isinstance(plugins, dict) else None
    if not isinstance(feature, dict):
        path = "feature"
    elif not isinstance(plugins, dict):
        path = "feature.plugins"
    elif "enabled" in plugins and not isinstance(enabled, bool):
        path = "feature.plugins.enabled"
    if path:
        wanted = "a boolean" if path.endswith("enabled") else "a table"
        location = nearest_location(LazyLocations(text, file), path) or Location(file)
        raise _error("malformed", f"plugin config key `{path}` must be {wanted}", location)
    if enabled is None:
        return FEATURE_UNSET
    return "true" if enabled else "false"


def _plugins_config(plugins: Any, text: str, file: str, workspace: str) -> EnablementConfig:
    problems = check_plugins(plugins)
    entries = plugins.get("enabled", []) if isinstance(plugins, dict) else []
    entries = entries if isinstance(entries, list) else []
    locations = LazyLocations(text, file)  # scanned only when a diagnostic asks where a key is
    trust = TrustSettings()
    if not problems and "trust" in plugins:
        from engine.grants.trust import read_trust  # keys, only for a config that trusts some

        trust, problems = read_trust(plugins["trust"], file)
    if problems:
        raise DiagnosticError(
            [
                Diagnostic(
                    kind="malformed",
                    phase="config",
                    message=p.message,
                    location=nearest_location(locations, path_text(p.path)) or Location(file),
                )
                for p in problems[:MAX_REPORTED_PROBLEMS]
            ]
        )
    headers = _enablement_header_lines(text)
    spots = headers if len(headers) == len(entries) else [None] * len(entries)
    from engine.grants.lock import lock_from_table

    lock = lock_from_table(
        plugins, lambda table: _grants(table, workspace), lambda prefix: EntryLocations(locations, prefix)
    )
    return EnablementConfig(
        tuple(
            _enablement(
                entry,
                Location(file, *spot) if spot else Location(file),
                EntryLocations(locations, f"plugins.enabled[{index}]"),
                file,
                workspace,
            )
            for index, (entry, spot) in enumerate(zip(entries, spots, strict=True))  # one spot per entry
        ),
        file,
        _host_settings(plugins.get("host", {}), file),
        trust,
        plugins_keys=tuple(plugins),
        lock=lock,
    )


def _host_settings(table: dict, file: str) -> HostSettings:
    """A relative CA bundle path is relative to the config file, not to the working directory."""
    return HostSettings(https_ca_bundle=_relative_to(file, table.get("https_ca_bundle")))


def _enablement_header_lines(text: str) -> list[tuple[int, int]]:
    """1-based (line, column) of `[[plugins.enabled]]` headers, skipping multi-line strings.

    Only trusted when the count equals the number of entries (inline arrays have no headers).
    """
    lines = []
    open_delim: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if open_delim is None and _HEADER_RE.match(line):
            lines.append((number, len(line) - len(line.lstrip(" \t")) + 1))
        for match in _ML_DELIMS.finditer(line):
            delim = match.group(0)
            if open_delim is None:
                if "#" not in line[: match.start()]:
                    open_delim = delim
            elif delim == open_delim:
                open_delim = None
    return lines


class EntryLocations(Mapping[str, Location]):
    """The key positions of one `[[plugins.enabled]]` entry, by key path relative to the entry
    (`digest`, `grants.version`, `surfaces[1]`): a view into the config's lazily scanned
    locations, so resolution can point a diagnostic at the key it is about."""

    def __init__(self, locations: Mapping[str, Location], prefix: str):
        self._locations = locations
        self._prefix = prefix

    def __getitem__(self, key: str) -> Location:
        return self._locations[f"{self._prefix}.{key}" if key else self._prefix]

    def __iter__(self) -> Iterator[str]:
        start = self._prefix + "."
        return (key[len(start) :] for key in self._locations if key.startswith(start))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"EntryLocations({self._prefix})"

    def cache_key_material(self) -> object:
        """The entry's prefix and the config text it is scanned from (engine/pipeline/inputs.py)."""
        return (self._prefix, self._locations)


def _relative_to(file: str, path: str | None) -> str | None:
    """A path written in the config, relative to the config file's folder."""
    if path is None or Path(path).is_absolute():
        return path
    return str(Path(file).parent / path)


def _enablement(entry: dict, location: Location, keys: Mapping[str, Location], file: str, workspace: str) -> Enablement:
    return Enablement(
        id=entry.get("id", ""),
        version=entry.get("version"),
        digest=entry.get("digest"),
        surfaces=tuple(entry.get("surfaces", ())),
        grants=_grants(entry.get("grants", {}), workspace),
        config=toml_to_json(entry["config"], non_finite_as_text=True) if "config" in entry else None,
        location=location,
        keys=keys,
        limits=tuple(entry.get("limits", {}).items()),
        restart=tuple(entry.get("restart", {}).items()),
        signature=_relative_to(file, entry.get("signature")),
        written=tuple(("plugins.enabled", key) for key in entry)
        + tuple(("plugins.enabled.grants", key) for key in entry.get("grants", {})),
    )


def _grants(table: dict, workspace: str) -> Grants:
    return Grants(
        id=table.get("id"),
        version=table.get("version"),
        digest=table.get("digest"),
        permissions=tuple(permission_from_table(p) for p in table.get("permissions", ())),
        tables=GrantTables.of(
            {
                api.name: tuple(api.grant.from_table(entry, workspace) for entry in table.get(api.name, ()))
                for api in api_registry.HOST_APIS
            }
        ),
    )
