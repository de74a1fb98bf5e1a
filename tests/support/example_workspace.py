"""A temp workspace built from the bundled examples, enabled with every grant they request.

The examples are discovered from the builtin store (examples/), so the workspace holds only a
config: enablements bound to each example's real id, version and digest, plus whatever a test
adds (limits, other packages in the project store, policy folders).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.package.materialize import load_package_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# folder -> (ref, surfaces, permissions as TOML inline tables)
EXAMPLE_GRANTS = {
    "raw-echo": ("builtin:example.raw-echo", ["tool"],
                 ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "raw_echo" }']),
    "component-echo": ("builtin:example.component-echo", ["tool"],
                       ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "component_echo" }']),
    "instance-counter": ("builtin:example.counter", ["tool", "service", "ingress"], [
        '{ kind = "surface", surface = "tool" }', '{ kind = "surface", surface = "service" }',
        '{ kind = "surface", surface = "ingress" }', '{ kind = "tool", name = "counter" }',
        '{ kind = "service", name = "counter-service" }', '{ kind = "ingress", name = "counter-events" }']),
}


def enablement(folder: str, *, extra: str = "") -> str:
    """A `[[plugins.enabled]]` table for an example, bound to its digest; `extra` is appended
    (e.g. a `[plugins.enabled.limits]` table)."""
    ref, surfaces, permissions = EXAMPLE_GRANTS[folder]
    package = load_package_path(EXAMPLES / folder, source="builtin")
    version, digest = package.manifest.version, package.digest
    surfaces_text = ", ".join(f'"{s}"' for s in surfaces)
    config = '\nconfig = { label = "test" }' if folder == "instance-counter" else ""
    return (f'\n[[plugins.enabled]]\nid = "{ref}"\nversion = "{version}"\ndigest = "{digest}"\n'
            f'surfaces = [{surfaces_text}]{config}\n\n[plugins.enabled.grants]\nid = "{ref}"\n'
            f'version = "{version}"\ndigest = "{digest}"\npermissions = [\n  '
            + ",\n  ".join(permissions) + "\n]\n" + extra)


def write_config(workspace: Path, *tables: str) -> Path:
    path = workspace / ".yoi" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(tables))
    return path


def yoi(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120):
    """The `yoi` console script as a real subprocess (same interpreter, this checkout)."""
    return subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", *args],
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT)
