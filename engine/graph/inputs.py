"""What the graph is built from: one `Subject` per package reference under evaluation.

A subject joins what discovery found (the package), what the enablement config asked for
(surfaces, grants) and what resolution said (resolved or not, and why). `check` builds one
subject from a folder or archive; `list`/`show` build one per discovered package and per
enablement of a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.diagnostics import Diagnostic
from engine.grants.model import Enablement, Grants
from engine.package.model import Package

if TYPE_CHECKING:
    from engine.provenance.inspect import PackageTrust

MODES = ("check", "workspace")


@dataclass(frozen=True)
class Subject:
    """One package reference as the rules see it.

    `configured`: an enablement names it; `resolved`: resolution accepted it, so its grants and
    enabled surfaces are in force; `package_present`: a package file exists for it even if it
    could not be read (spec §4.3 "rejected, not missing").
    """

    ref: str
    mode: str = "workspace"
    package: Package | None = None
    source: str | None = None
    enablement: Enablement | None = None
    grants: Grants | None = None
    enabled_surfaces: tuple[str, ...] = ()
    configured: bool = False
    resolved: bool = False
    package_present: bool = False
    package_path: str | None = None
    config: Any = None
    grants_assumed: bool = False
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    # Its signatures and build provenance, checked against the config's trust settings
    # (None when there is no package to check).
    trust: PackageTrust | None = None
    # From the enablement config: the keys written in `[plugins]`, in the subject's enablement
    # and its grants ((table, key); docs/targets.md `config_table_key`), and whether the config's
    # resolved plan holds a record for the ref (spec §3.7).
    config_table_keys: tuple[tuple[str, str], ...] = ()
    resolved_plan: bool = False

    @property
    def discovered(self) -> bool:
        return self.package is not None
