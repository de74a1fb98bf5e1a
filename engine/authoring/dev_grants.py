"""The host APIs `yoi plugin dev` and `yoi plugin call DIR` may open, one command-line flag each.

A development enablement grants what the manifest requests, except host APIs: each stays closed
unless its flag names what to open (`--allow-fs ROOT[:ops]`, `--allow-https URL[:METHODS]`). The
grants a flag makes go through the normal rules like any written grant (fs roots that are too
broad, writes, https without a path prefix are warned about; an unusable allowlist denies).

Every flag is one `AllowFlag` entry of ALLOW_FLAGS: its option, how its values parse, and which
field of the grants they fill. The click options and the grants are derived from the table, so a
new host API (`request` and `websocket` come with issue 20) is one more entry here.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from engine.grants.model import FsGrant, Grants, HttpsGrant
from engine.package.model import FS_OPERATIONS

DEFAULT_FS_OPERATIONS: tuple[str, ...] = ("read", "list")
DEFAULT_HTTPS_METHODS = ("GET",)
_METHODS = re.compile(r"[A-Z]+(,[A-Z]+)*")


class AllowError(ValueError):
    """A flag value that does not parse; the message names the flag and the value's problem."""


@dataclass(frozen=True)
class AllowFlag:
    api: str  # the host API the flag opens (`host_api` permission value)
    option: str  # the command-line option
    metavar: str
    help: str
    field: str  # the Grants field its values fill
    parse: Callable[[str], Any]  # one value -> one allowlist entry; raises AllowError


def parse_fs(value: str) -> FsGrant:
    """`ROOT[:ops]`: ops a comma list of read, list, write (default read,list). A root that holds
    `:` is written with its ops (`/srv/a:b:read`). The root is resolved against the working folder
    and through symlinks (the fs host API refuses a symlinked root), and must be a folder."""
    root, colon, ops = value.rpartition(":")
    if not colon:
        root, operations = value, DEFAULT_FS_OPERATIONS
    else:
        operations = tuple(ops.split(","))
        unknown = [op for op in operations if op not in FS_OPERATIONS]
        if unknown:
            raise AllowError(
                f"--allow-fs: unknown fs operation `{unknown[0]}` (operations: {', '.join(FS_OPERATIONS)}; "
                "a root that holds `:` is written with its operations, e.g. `/a:b:read`)"
            )
    if not root:
        raise AllowError("--allow-fs: the root folder is empty")
    try:
        resolved = os.path.realpath(root)
    except (OSError, ValueError):  # a NUL byte, a loop of symlinks
        raise AllowError(f"--allow-fs: `{root}` cannot be resolved") from None
    if not os.path.isdir(resolved):
        raise AllowError(f"--allow-fs: `{root}` is not a folder")
    return FsGrant(resolved, tuple(dict.fromkeys(operations)))


def parse_https(value: str) -> HttpsGrant:
    """`https://HOST[/PATH_PREFIX][:METHODS]`: METHODS a comma list (default GET); a path other
    than `/` becomes the grant's one path prefix."""
    url, colon, methods = value.rpartition(":")
    if not (colon and _METHODS.fullmatch(methods)):
        url, methods = value, ",".join(DEFAULT_HTTPS_METHODS)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise AllowError(f"--allow-https: `{url}` is not an https://HOST[/PATH] URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise AllowError("--allow-https: the URL may hold only a host and a path prefix")
    prefix = parts.path if parts.path not in ("", "/") else ""
    return HttpsGrant(parts.hostname, tuple(dict.fromkeys(methods.split(","))), (prefix,) if prefix else ())


ALLOW_FLAGS: tuple[AllowFlag, ...] = (
    AllowFlag(
        "fs",
        "--allow-fs",
        "ROOT[:ops]",
        "Open the fs host API under ROOT for ops (read,list,write; default read,list); repeatable.",
        "fs",
        parse_fs,
    ),
    AllowFlag(
        "https",
        "--allow-https",
        "URL[:METHODS]",
        "Open the https host API for https://HOST[/PATH_PREFIX] with METHODS (default GET); repeatable.",
        "https",
        parse_https,
    ),
)


def allow_options(func: Callable) -> Callable:
    """One repeatable click option per ALLOW_FLAGS entry; the command gets them as one keyword,
    `allow` ({api: values})."""
    import click

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        allow = {flag.api: tuple(kwargs.pop(f"allow_{flag.api}", ())) for flag in ALLOW_FLAGS}
        return func(*args, allow=allow, **kwargs)

    for flag in reversed(ALLOW_FLAGS):
        command = click.option(flag.option, f"allow_{flag.api}", multiple=True, metavar=flag.metavar, help=flag.help)(
            command
        )
    return command


def parse_allowed(values: dict[str, Sequence[str]]) -> dict[str, tuple[Any, ...]]:
    """{api: allowlist entries} from {api: flag values}; raises AllowError."""
    return {flag.api: tuple(flag.parse(v) for v in values.get(flag.api, ())) for flag in ALLOW_FLAGS}


def dev_grants(ref: str, manifest, digest: str, allowed: dict[str, tuple[Any, ...]]) -> Grants:
    """Grants bound to this very package that give what it requests, host APIs only where a flag
    opened them (with the flag's allowlist)."""
    opened = {api for api, entries in allowed.items() if entries}
    permissions = tuple(p for p in manifest.permissions if p.kind != "host_api" or p.value in opened)
    grants = Grants(id=ref, version=manifest.version, digest=digest, permissions=permissions)
    allowlists: dict[str, Any] = {flag.field: allowed.get(flag.api, ()) for flag in ALLOW_FLAGS}
    return replace(grants, **allowlists)


def closed_apis(manifest, allowed: dict[str, tuple[Any, ...]]) -> list[AllowFlag]:
    """The flags of host APIs the manifest requests but the command line left closed."""
    requested = {p.value for p in manifest.permissions if p.kind == "host_api"}
    return [flag for flag in ALLOW_FLAGS if flag.api in requested and not allowed.get(flag.api)]
