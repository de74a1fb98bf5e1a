"""A temp workspace built from the bundled examples, enabled with every grant they request.

There is no builtin store (spec §3.2): `write_config` packs the three examples into the
workspace's project store (as `examples/workspace` holds them) and writes the config:
enablements bound to each example's real id, version and digest, plus whatever a test adds
(limits, other packages in the project store, policy folders).
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from engine.package.materialize import load_package_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# folder -> (ref, surfaces, permissions as TOML inline tables)
EXAMPLE_GRANTS = {
    "raw-echo": ("project:example.raw-echo", ["tool"],
                 ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "raw_echo" }']),
    "component-echo": ("project:example.component-echo", ["tool"],
                       ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "component_echo" }']),
    "instance-counter": ("project:example.counter", ["tool", "service", "ingress"], [
        '{ kind = "surface", surface = "tool" }', '{ kind = "surface", surface = "service" }',
        '{ kind = "surface", surface = "ingress" }', '{ kind = "tool", name = "counter" }',
        '{ kind = "service", name = "counter-service" }', '{ kind = "ingress", name = "counter-events" }']),
}


def enablement(folder: str, *, extra: str = "") -> str:
    """A `[[plugins.enabled]]` table for an example, bound to its digest; `extra` is appended
    (e.g. a `[plugins.enabled.limits]` table)."""
    ref, surfaces, permissions = EXAMPLE_GRANTS[folder]
    package = load_package_path(EXAMPLES / folder, source="project")
    version, digest = package.manifest.version, package.digest
    surfaces_text = ", ".join(f'"{s}"' for s in surfaces)
    config = '\nconfig = { label = "test" }' if folder == "instance-counter" else ""
    return (f'\n[[plugins.enabled]]\nid = "{ref}"\nversion = "{version}"\ndigest = "{digest}"\n'
            f'surfaces = [{surfaces_text}]{config}\n\n[plugins.enabled.grants]\nid = "{ref}"\n'
            f'version = "{version}"\ndigest = "{digest}"\npermissions = [\n  '
            + ",\n  ".join(permissions) + "\n]\n" + extra)


@cache
def example_archives() -> dict[str, bytes]:
    """The examples packed once per session, by store file name (`<id>.yoi-plugin`)."""
    from engine.package.archive import write_archive
    from engine.package.materialize import read_directory

    archives = {}
    for folder, (ref, _, _) in EXAMPLE_GRANTS.items():
        archives[ref.partition(":")[2] + ".yoi-plugin"] = write_archive(read_directory(EXAMPLES / folder))
    return archives


def install_examples(workspace: Path) -> Path:
    """Put the three examples in the workspace's project store; returns the store."""
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True, exist_ok=True)
    for name, data in example_archives().items():
        (store / name).write_bytes(data)
    return store


def write_config(workspace: Path, *tables: str) -> Path:
    """The workspace config made of `tables`, with the examples installed in its project store."""
    install_examples(workspace)
    path = workspace / ".yoi" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(tables))
    return path


def yoi(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120):
    """The `yoi` console script as a real subprocess (same interpreter, this checkout)."""
    return subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", *args],
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def _leb(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def uncompilable(module: bytes) -> bytes:
    """`module` with the last byte of its first function body (its `end`) replaced by 0xFF, an
    opcode that does not exist: every section still reads, but wasmtime refuses to compile it.
    So a compile attempt of such an artifact cannot go unnoticed."""
    at = 8
    while at < len(module):
        section, at = module[at], at + 1
        size, at = _leb(module, at)
        if section == 10:
            _, body = _leb(module, at)  # function count
            body_size, body = _leb(module, body)
            end = body + body_size - 1
            assert module[end] == 0x0B
            return module[:end] + b"\xff" + module[end + 1:]
        at += size
    raise ValueError("module has no code section")


def add_raw_package(workspace: Path, local_id: str, tool: str, *, grant_tool: bool = True,
                    artifact: bytes | None = None) -> tuple[str, str]:
    """A copy of the raw-echo example as `project:<local_id>` exposing `tool`, in the project
    store; returns (ref, enablement table). Without `grant_tool` the rules reject it (nothing of
    it is eligible). `artifact` defaults to the example's module made uncompilable."""
    from engine.package.archive import write_archive
    from engine.package.digest import package_digest

    source = EXAMPLES / "raw-echo"
    manifest = (source / "plugin.toml").read_text().replace('"example.raw-echo"', f'"{local_id}"')
    manifest = manifest.replace('"raw_echo"', f'"{tool}"')
    if artifact is None:
        artifact = uncompilable((source / "echo.wasm").read_bytes())
    files = {"plugin.toml": manifest.encode(), "echo.wasm": artifact}
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{local_id}.yoi-plugin").write_bytes(write_archive(files))
    ref, digest = f"project:{local_id}", package_digest(files)
    permissions = ['{ kind = "surface", surface = "tool" }']
    if grant_tool:
        permissions.append(f'{{ kind = "tool", name = "{tool}" }}')
    table = (f'\n[[plugins.enabled]]\nid = "{ref}"\nversion = "0.1.0"\n\n[plugins.enabled.grants]\n'
             f'id = "{ref}"\nversion = "0.1.0"\ndigest = "{digest}"\npermissions = [{", ".join(permissions)}]\n')
    return ref, table
