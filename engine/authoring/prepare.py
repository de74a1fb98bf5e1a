"""Compile a freshly built artifact into the compiled-artifact cache, in a detached child process.

A componentize-py guest is ~18 MB of wasm, and compiling it takes seconds (tens of seconds on a
loaded machine). `yoi plugin build --prepare` starts `python -m engine.cli.prepare ARTIFACT`
right after building, in its own session with no terminal, so the shell returns at once and the
first start later loads native code from the cache (engine/compiled.py: the cache the static
inspection and the runtime share); `yoi plugin dev` calls `prepare` itself right after a build,
while the previous load keeps serving. An artifact already in the cache is not compiled again;
nothing here ever instantiates or runs anything.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

MAX_ARTIFACT_BYTES = 32 * 1024 * 1024  # the runtime's bound (engine/runtime/wasm.py)


def spawn(artifact: Path) -> subprocess.Popen:
    """Start the compile child for `artifact`; it outlives this process if need be."""
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli.prepare", str(artifact)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def prepare(artifact: Path) -> str:
    """`cached` (already there), `compiled` (now there), or why nothing was done."""
    from engine import compiled
    from engine.artifact.sections import classify
    from engine.safe_read import ReadError, read_bounded

    folder = compiled.default_folder()
    if folder is None:
        return "the compiled-artifact cache is off"
    try:
        data = read_bounded(artifact, MAX_ARTIFACT_BYTES, follow_symlinks=False)
    except ReadError as error:
        return f"artifact could not be read: {error.reason}"
    form = classify(data)
    if form not in ("core", "component"):
        return "not a wasm module or component"
    kind = "component" if form == "component" else "module"
    sha256 = hashlib.sha256(data).hexdigest()
    engine = compiled.new_engine()
    if compiled.load(engine, folder, sha256, kind) is not None:
        return "cached"
    import wasmtime

    try:
        compiled.compile_and_store(engine, folder, data, sha256, kind)
    except (wasmtime.WasmtimeError, ValueError, TypeError):
        return "does not compile"
    return "compiled"
