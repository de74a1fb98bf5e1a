"""The built-in tool names of the hosts the engine judges for (rules/host_tools.toml), as data.

A plugin tool named like a host's own tool collides with it (spec §2.1, §7.2
`builtin_tool_name_collision_is_rejected_with_diagnostic`). The names are data read from the
reference's public source, exported as the facts `reserved_tool(Host, Tool)`; the rules decide
what a collision means (rules/host_tools.rules). Read once per process.
"""

from __future__ import annotations

import tomllib
from functools import cache

from engine.resources import rules_dir
from engine.safe_read import read_bounded

HOST_TOOLS_FILE = "host_tools.toml"
_MAX_BYTES = 256 * 1024


class HostToolsError(ValueError):
    """The shipped host tool list is unreadable or misshapen (a broken installation)."""


@cache
def reserved_tools() -> tuple[tuple[str, str], ...]:
    """(host, tool name) pairs, in file order."""
    path = rules_dir() / HOST_TOOLS_FILE
    try:
        document = tomllib.loads(read_bounded(path, _MAX_BYTES).decode("utf-8"))
    except (OSError, ValueError) as error:  # ReadError, UnicodeDecodeError and TOMLDecodeError are ValueErrors
        raise HostToolsError(f"{path}: cannot be read: {error}") from None
    hosts = document.get("hosts")
    if not isinstance(hosts, dict):
        raise HostToolsError(f"{path}: `hosts` must be a table of hosts")
    pairs = []
    for host, table in hosts.items():
        names = table.get("reserved") if isinstance(table, dict) else None
        if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
            raise HostToolsError(f"{path}: `hosts.{host}.reserved` must be a list of tool names")
        pairs += [(host, name) for name in names]
    return tuple(pairs)
