"""Rebuild every example artifact from the WAT source beside it, then refresh the example
workspace: its packed packages and its config's digest bindings (update_workspace.py).

The committed .wasm files are what discovery and the runtime load; rebuilding them here (and
comparing in tests) keeps them honest: each artifact is exactly `wat2wasm(<name>.wat)`.

Usage: python examples/build.py [--check]
  --check  change nothing; exit 1 if an artifact, a packed package or the workspace config is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EXAMPLES_DIR))

import update_workspace  # noqa: E402  (sibling script, not a package)


def example_dirs(examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """The example packages: subfolders holding a plugin.toml."""
    return sorted(p for p in examples_dir.iterdir() if (p / "plugin.toml").is_file())


def sources(examples_dir: Path = EXAMPLES_DIR) -> list[tuple[Path, Path]]:
    """(WAT source, wasm artifact) pairs: `<name>.wat` builds `<name>.wasm` in the same folder."""
    return [(wat, wat.with_suffix(".wasm")) for d in example_dirs(examples_dir) for wat in sorted(d.glob("*.wat"))]


def build_artifact(wat: Path) -> bytes:
    """Assemble one WAT file (core module or component) to wasm bytes."""
    from wasmtime import wat2wasm

    return bytes(wat2wasm(wat.read_text(encoding="utf-8")))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    for wat, wasm in sources():
        data = build_artifact(wat)
        if wasm.is_file() and wasm.read_bytes() == data:
            continue
        stale.append(str(wasm.relative_to(EXAMPLES_DIR)))
        if not check:
            wasm.write_bytes(data)
    stale += [str(path.relative_to(EXAMPLES_DIR)) for path in update_workspace.update(check=check)]
    for name in stale:
        print(f"{'stale' if check else 'rebuilt'}: {name}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
