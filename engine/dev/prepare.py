"""Compile a freshly built artifact into the compiled-artifact cache, in a detached child process.

A componentize-py guest is ~18 MB of wasm, and compiling it takes seconds (tens of seconds on a
loaded machine). `yoi plugin build --prepare` starts `python -m engine.cli.prepare ARTIFACT`
right after the build's check has planned it, in its own session with no terminal, so the shell
returns at once and the first start later loads native code from the runtime's cache
(engine/compiled.py); `yoi plugin dev` calls `prepare` itself once the rules have planned a fresh
build, while the previous load keeps serving. Either way the compile is the runtime's own, in its
compile worker under a compile budget. An artifact already in the cache is not compiled again;
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


def prepare(artifact: Path, budget_ms: int | None = None) -> str:
    """`cached` (already there), `compiled` (now there), or why nothing was done. The compile is the
    runtime's own (engine.runtime.compiler.compile_into_cache, as a host's startup precompile
    runs it): in its compile worker process, within `budget_ms` (default: the default
    `compile_ms` limit), stored behind the cache's MAC."""
    from engine import compiled
    from engine.artifact.sections import classify
    from engine.limits import DEFAULT_LIMITS
    from engine.runtime.compiler import compile_into_cache
    from engine.runtime.errors import RuntimeFault
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
    if compiled.is_cached(folder, sha256, kind):
        return "cached"
    budget = DEFAULT_LIMITS.compile_ms if budget_ms is None else budget_ms
    try:
        compile_into_cache(data, sha256, kind, budget, folder)
    except RuntimeFault as fault:
        return f"not compiled: {fault.kind}: {fault.message}"
    return "compiled"
