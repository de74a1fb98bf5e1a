"""Signing helpers for tests: real key pairs, trust tables, a workspace with a project store.

Packages are the raw-echo example's real module under new ids (example_workspace.add_raw_package),
packed into a project store; keys are made by `generate_key_pair` (what `yoi plugin keygen` runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from example_workspace import EXAMPLES, add_raw_package
from engine.provenance.keys import KeyPair, load_private_key

RAW_MODULE = (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()


def private(pair: KeyPair):
    return load_private_key(pair.private_path)


def trusted(pair: KeyPair, *, name: str = "", expires: str | None = None, packages: list[str] | None = None) -> str:
    """One `[[plugins.trust.keys]]` table trusting `pair` (its public key file by path)."""
    lines = ["\n[[plugins.trust.keys]]", f'id = "{pair.key_id}"', f'public_key = {{ file = "{pair.public_path}" }}']
    if name:
        lines.append(f'name = "{name}"')
    if expires is not None:
        lines.append(f"expires = {expires}")
    if packages is not None:
        lines.append("packages = [" + ", ".join(f'"{p}"' for p in packages) + "]")
    return "\n".join(lines) + "\n"


@dataclass
class Workspace:
    root: Path
    tables: list[str]

    @property
    def store(self) -> Path:
        return self.root / ".yoi" / "plugins"

    def package(self, local_id: str, tool: str, artifact: bytes = RAW_MODULE) -> Path:
        """A real raw-echo package `project:<local_id>` in the project store, enabled and granted."""
        _ref, table = add_raw_package(self.root, local_id, tool, artifact=artifact)
        self.tables.append(table)
        return self.store / f"{local_id}.yoi-plugin"

    def config(self, *trust: str, require: bool = True) -> Path:
        """Write `.yoi/config.toml`: the enablements so far plus a `[plugins.trust]` table."""
        head = f"[plugins.trust]\nrequire_signature = {'true' if require else 'false'}\n"
        path = self.root / ".yoi" / "config.toml"
        path.write_text(head + "".join(trust) + "".join(self.tables))
        return path




def check_path(path, grants_file=None, policy_dirs=()):
    """The `yoi plugin check` JSON report, in process (what the CLI prints with --json)."""
    from engine.report.check import check_report
    from engine.verdict.run import check_verdict

    return check_report(check_verdict(path, grants_file, policy_dirs), path)
