"""Run `yoi` as a real child process under a memory limit and a hang guard, for hostile inputs.

A regression on a hostile input (reading /dev/zero, a quadratic blow-up) must fail the test, not
eat the machine: the child gets RLIMIT_AS, so it dies with a MemoryError long before it hurts
anyone. The timeout only guards against a hang (a FIFO read); it is not a speed assertion.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from engine.package.archive import write_archive
from engine.package.digest import package_digest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAW_ECHO = PROJECT_ROOT / "examples" / "raw-echo"
HANG_GUARD_SECONDS = 120
MIB = 1024 * 1024


def run_yoi(*args: object, memory_mib: int = 1024, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`yoi ARGS` in a child limited to `memory_mib` of address space; text output."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mib * MIB, memory_mib * MIB))

    return subprocess.run(
        [sys.executable, "-m", "engine.cli.main", *map(str, args)], cwd=cwd or PROJECT_ROOT,
        capture_output=True, text=True, errors="surrogateescape", preexec_fn=limit,
        timeout=HANG_GUARD_SECONDS, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def nest_folders(root: Path, depth: int, name: str = "d") -> Path:
    """`root/d/d/.../d` (`depth` levels), made one level at a time (os.makedirs recurses)."""
    path = root
    path.mkdir(parents=True, exist_ok=True)
    for _ in range(depth):
        path = path / name
        path.mkdir()
    return path


def raw_echo_manifest(local_id: str, *, tools: tuple[str, ...] = ("raw_echo",), version: str = "0.1.0",
                      permission_names: tuple[str, ...] | None = None) -> str:
    """A raw-echo manifest with its own id and tools (TOML basic strings: pass escapes, not raw)."""
    names = tools if permission_names is None else permission_names
    permissions = ", ".join(['{ kind = "surface", surface = "tool" }',
                             *(f'{{ kind = "tool", name = "{n}" }}' for n in names)])
    tables = "".join(f'[[tools]]\nname = "{t}"\ndescription = "d"\ninput_schema = {{ type = "object" }}\n'
                     for t in tools)
    return (f'schema_version = 1\nid = "{local_id}"\nname = "n"\nversion = "{version}"\nsurfaces = ["tool"]\n'
            f'permissions = [{permissions}]\n[runtime]\nkind = "wasm"\nabi = "yoi-plugin-wasm-1"\n'
            f'entry = "echo.wasm"\n{tables}')


def add_enabled_package(workspace: Path, file_name: str, local_id: str, manifest: str, granted: tuple[str, ...],
                        version: str = "0.1.0") -> str:
    """Write an archive into the project store; return its enablement TOML (bound, tools granted)."""
    files = {"plugin.toml": manifest.encode(), "echo.wasm": (RAW_ECHO / "echo.wasm").read_bytes()}
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True, exist_ok=True)
    (store / file_name).write_bytes(write_archive(files))
    digest = package_digest(files)
    permissions = ", ".join(['{ kind = "surface", surface = "tool" }', *(f'{{ kind = "tool", name = "{t}" }}'
                                                                         for t in granted)])
    return (f'[[plugins.enabled]]\nid = "project:{local_id}"\ndigest = "{digest}"\n[plugins.enabled.grants]\n'
            f'id = "project:{local_id}"\nversion = "{version}"\ndigest = "{digest}"\npermissions = [{permissions}]\n')
