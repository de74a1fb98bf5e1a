"""How this engine was installed, and the one command that adds an extra (`pdk`) to it.

Every install hint the engine prints comes from here, so none of them can name a package index
the engine is not on. pip records how a distribution was installed (PEP 610: `direct_url.json`
in its dist-info) when it came from a folder, an archive or a VCS URL; an install from an index
leaves no such record. A checkout that is not installed at all is found by its pyproject.toml.

The command always runs pip through this very interpreter (`<python> -m pip`), so it installs
into the environment the engine runs in, not whichever `pip` is first on PATH.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DISTRIBUTION = "yoi-plugin-engine"
_CHECKOUT = Path(__file__).resolve().parent.parent  # the folder holding engine/ (a checkout, or site-packages)
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Installation:
    """`kind`: editable | folder | archive | index | checkout (a checkout that pip does not know) |
    unknown (a VCS URL or a vanished folder: only the extra's own requirements can be named)."""

    kind: str
    location: str | None = None  # the folder or archive pip installed from


def installation_from(direct_url: dict | None, installed: bool) -> Installation:
    """What a dist's `direct_url.json` (None when absent) says about where it came from."""
    if not installed:
        found = _checkout_folder()
        return Installation("checkout", str(found)) if found else Installation("unknown")
    if direct_url is None:
        return Installation("index")
    url = direct_url.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "file" or "vcs_info" in direct_url:
        return Installation("unknown")
    path = Path(unquote(parts.path))
    dir_info = direct_url.get("dir_info")
    if isinstance(dir_info, dict):
        if not path.is_dir():
            return Installation("unknown")
        return Installation("editable" if dir_info.get("editable") is True else "folder", str(path))
    if "archive_info" in direct_url and path.is_file():
        return Installation("archive", str(path))
    return Installation("unknown")


def _checkout_folder() -> Path | None:
    """The checkout this code runs from, when its pyproject.toml names this distribution."""
    try:
        project = tomllib.loads((_CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return _CHECKOUT if project.get("project", {}).get("name") == DISTRIBUTION else None


def current_installation() -> Installation:
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return installation_from(None, installed=False)
    text = dist.read_text("direct_url.json")
    try:
        direct_url = json.loads(text) if text else None
    except ValueError:  # a damaged record says nothing reliable: name only the extra's requirements
        direct_url = {}
    return installation_from(direct_url if direct_url is None or isinstance(direct_url, dict) else {}, True)


def extra_requirements(extra: str) -> tuple[str, ...]:
    """The requirements the extra adds (e.g. `componentize-py<0.26,>=0.25` for `pdk`), from the
    installed metadata or, in a checkout pip does not know, from pyproject.toml."""
    from importlib import metadata

    try:
        requires = metadata.distribution(DISTRIBUTION).requires or []
    except metadata.PackageNotFoundError:
        requires = []
    found = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        match = _EXTRA_MARKER.search(marker)
        if match and match.group(1) == extra:
            found.append(requirement.strip())
    if found:
        return tuple(found)
    checkout = _checkout_folder()
    if checkout is None:
        return ()
    project = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))
    return tuple(project.get("project", {}).get("optional-dependencies", {}).get(extra, ()))


def install_command(extra: str, found: Installation | None = None) -> str:
    """The shell command that adds `extra` to this engine as it was installed."""
    found = current_installation() if found is None else found
    pip = f"{shlex.quote(sys.executable)} -m pip install"
    if found.kind == "editable":
        return f"{pip} -e {shlex.quote(f'{found.location}[{extra}]')}"
    if found.kind in ("folder", "archive"):
        return f"{pip} {shlex.quote(f'{found.location}[{extra}]')}"
    if found.kind == "index":
        return f"{pip} {shlex.quote(f'{DISTRIBUTION}[{extra}]')}"
    if found.kind == "checkout":
        return f"{pip} -e {shlex.quote(f'{found.location}[{extra}]')}"
    requirements = extra_requirements(extra)
    return f"{pip} " + " ".join(shlex.quote(r) for r in requirements) if requirements else ""


def pdk_hint() -> str:
    """`install it with: <command>`: what a missing Python guest builder tells the user."""
    command = install_command("pdk")
    return f"install it with: {command}" if command else "install componentize-py 0.25 into this Python environment"
