"""A componentize-py build of a WIT world that uses every kind of WIT type, resources imported and
exported, `use` between interfaces and world-level functions (tests/artifact/rich_world/): the
shapes wit-component gives real components, for the reader's differential test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RICH_WORLD = Path(__file__).resolve().parent / "rich_world"
RUNNER = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"


@pytest.fixture(scope="session")
def rich_component(tmp_path_factory) -> bytes:
    pytest.importorskip("componentize_py", reason="building a Python guest needs componentize-py")
    out = tmp_path_factory.mktemp("rich-world") / "rich.wasm"
    command = [sys.executable, "-c", RUNNER, "-d", str(RICH_WORLD / "wit"), "-w", "rich", "componentize",
               "-p", str(RICH_WORLD / "app"), "--stub-wasi", "app", "-o", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=out.parent,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return out.read_bytes()


@pytest.fixture(scope="session")
def python_guest(python_instance_built):
    """(bytes, compiled wasmtime Component) of the python-instance build: compiled once, for the
    differential test and the store-limit test alike (a compile takes seconds)."""
    from engine.artifact.wasmtime_oracle import compile_component

    data = (python_instance_built / "plugin.component.wasm").read_bytes()
    return data, compile_component(data)
