"""The host APIs `yoi plugin dev` and `yoi plugin call DIR` may open, one command-line flag each.

A development enablement grants what the manifest requests, except host APIs: each stays closed
unless its flag names what to open (`--allow-fs ROOT[:ops]`, `--allow-https URL[:METHODS]`). The
grants a flag makes go through the normal rules like any written grant (fs roots that are too
broad, writes, https without a path prefix are warned about; an unusable allowlist denies).

The flags come from the host-API registry (engine/api_registry): every API whose grant record
says how a command-line value spells one entry (`FLAG_METAVAR`, `from_flag`) gets
`--allow-<api>`. A new host API (`request` and `websocket` come with issue 20) gets its flag with
its registry entry; nothing here changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine import api_registry
from engine.errors import EngineError, ErrorKind
from engine.grants.model import Grants


class AllowError(EngineError, ValueError):
    """A flag value that does not parse; the message names the flag and the value's problem."""

    error_kind = ErrorKind.USAGE


@dataclass(frozen=True)
class AllowFlag:
    api: str  # the host API the flag opens (`host_api` permission value, grant table name)
    option: str  # the command-line option
    metavar: str
    help: str
    parse: Callable[[str], Any]  # one value -> one allowlist entry; raises ValueError


def allow_flags() -> tuple[AllowFlag, ...]:
    """One flag per registry API whose grant record has a command-line spelling."""
    return tuple(
        AllowFlag(api.name, f"--allow-{api.name}", metavar, api.grant.FLAG_HELP, api.grant.from_flag)
        for api in api_registry.HOST_APIS
        if (metavar := api.grant.FLAG_METAVAR) is not None
    )


def allow_options(func: Callable) -> Callable:
    """One repeatable click option per flag of `allow_flags()`; the command gets them as one
    keyword, `allow` ({api: values})."""
    import click

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        allow = {flag.api: tuple(kwargs.pop(f"allow_{flag.api}", ())) for flag in allow_flags()}
        return func(*args, allow=allow, **kwargs)

    for flag in reversed(allow_flags()):
        command = click.option(flag.option, f"allow_{flag.api}", multiple=True, metavar=flag.metavar, help=flag.help)(
            command
        )
    return command


def parse_allowed(values: dict[str, Sequence[str]]) -> dict[str, tuple[Any, ...]]:
    """{api: allowlist entries} from {api: flag values}; raises AllowError naming the flag."""
    parsed = {}
    for flag in allow_flags():
        entries = []
        for value in values.get(flag.api, ()):
            try:
                entries.append(flag.parse(value))
            except ValueError as error:
                raise AllowError(f"{flag.option}: {error}") from None
        parsed[flag.api] = tuple(entries)
    return parsed


def dev_grants(ref: str, manifest, digest: str, allowed: dict[str, tuple[Any, ...]]) -> Grants:
    """Grants bound to this very package that give what it requests, host APIs only where a flag
    opened them (with the flag's allowlist)."""
    opened = {api for api, entries in allowed.items() if entries}
    permissions = tuple(p for p in manifest.permissions if p.kind != "host_api" or p.value in opened)
    grants = Grants(id=ref, version=manifest.version, digest=digest, permissions=permissions)
    allowlists: dict[str, Any] = {flag.api: allowed.get(flag.api, ()) for flag in allow_flags()}
    return replace(grants, **allowlists)


def closed_apis(manifest, allowed: dict[str, tuple[Any, ...]]) -> list[AllowFlag]:
    """The flags of host APIs the manifest requests but the command line left closed."""
    requested = {p.value for p in manifest.permissions if p.kind == "host_api"}
    return [flag for flag in allow_flags() if flag.api in requested and not allowed.get(flag.api)]
