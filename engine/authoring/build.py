"""`yoi plugin build`: turn a package folder's sources into the artifact its manifest names.

- WAT (`src/<artifact name>.wat`): assembled in process with `wasmtime.wat2wasm`.
- Python (`src/app.py`): componentize-py, run as a bounded subprocess (time limit, output to a
  file of which only a redacted tail is ever shown) with `--stub-wasi`, so the component imports
  no WASI. componentize-py puts every import of the target world into the component, and the
  yoi worlds import both host interfaces; so the build targets a generated world with the same
  exports and only the host interfaces plugin.toml requests (`host_api` permissions). A guest
  that asks for no host API imports nothing at all.

The artifact replaces the old one atomically (temp file + rename in the same folder); a failed
build leaves the old artifact (or the placeholder) untouched.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.diagnostics import bounded_message, redact_secret_like
from engine.errors import EngineError, ErrorKind
from engine.package.limits import DEFAULT_LIMITS
from engine.package.manifest import load_manifest
from engine.package.paths import normalize_archive_path
from engine.safe_read import ReadError, read_bounded
from engine.walk import FolderTooDeep, walk_entries

PYTHON_SOURCE = "src/app.py"
PYTHON_APP = "app"
BUILD_WORLD = "yoi-build-guest"
BUILD_WORLD_FILE = "yoi-build-guest.wit"
DEFAULT_TIMEOUT_S = 600.0
MAX_SOURCE_BYTES = 4 * 1024 * 1024
LOG_TAIL_BYTES = 2048
MAX_ENTRIES = 4096  # files and folders looked at in the package folder
PDK_HINT = "install it with: pip install 'yoi-plugin-engine[pdk]'"
# Runs componentize-py's console entry point with this very interpreter (no PATH lookup).
_RUNNER = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"


class BuildError(EngineError):
    """A build that did not produce an artifact: bad input (`input`, the default) or a build
    that ran and failed (`failed`)."""

    error_kind = ErrorKind.INPUT

    def __init__(self, message: str, error_kind: ErrorKind | None = None):
        super().__init__(bounded_message(redact_secret_like(message), 1024), error_kind=error_kind)


@dataclass(frozen=True)
class BuildResult:
    directory: str
    language: str
    builder: str
    artifact: str
    size_bytes: int
    build_ms: float


def _read_bounded(path: Path, limit: int, what: str) -> bytes:
    """A regular file's bytes, at most `limit`; never follows a symlink or blocks on a FIFO."""
    try:
        return read_bounded(path, limit, follow_symlinks=False)
    except ReadError as error:
        raise BuildError(f"{what} could not be read: {error.reason}") from None


def _walk(root: Path, what: str) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative POSIX path, entry) of everything but folders under `root` (engine.walk: iterative,
    symlinked folders not entered, MAX_FOLDER_DEPTH levels), `__pycache__` skipped, at most
    MAX_ENTRIES entries looked at. Raises BuildError past a bound."""
    try:
        for seen, (entry, parts) in enumerate(walk_entries(root, skip=frozenset({"__pycache__"})), 1):
            if seen > MAX_ENTRIES:
                raise BuildError(f"{what} holds more than {MAX_ENTRIES} entries")
            if not entry.is_dir(follow_symlinks=False):
                yield "/".join(parts), entry
    except FolderTooDeep as error:
        raise BuildError(f"{what} is nested more than {error.depth} folders deep") from None
    except OSError as error:
        raise BuildError(f"{what} could not be listed: {error.strerror}") from None


def _entries(root: Path) -> set[str]:
    """Relative paths of the regular files under `root` (bounded), for manifest path checks."""
    return {name for name, entry in _walk(root, "the plugin folder") if entry.is_file(follow_symlinks=False)}


def _manifest(root: Path):
    data = _read_bounded(root / "plugin.toml", DEFAULT_LIMITS.max_manifest_size_bytes, "plugin.toml")
    try:  # the artifact may not exist yet: count the path it names as present
        runtime = tomllib.loads(data.decode("utf-8")).get("runtime") or {}
        planned = {p for p in (runtime.get("component"), runtime.get("entry")) if isinstance(p, str)}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        planned = set()
    from engine.diagnostics import DiagnosticError

    try:
        return load_manifest(data, _entries(root) | {p for p in planned if normalize_archive_path(p)})
    except DiagnosticError as error:
        raise BuildError(f"plugin.toml is invalid: {error.diagnostics[0].message}") from None


@dataclass
class _StagingBudget:
    """What one staging copy may hold in all: a package's bounds (engine/package/limits.py), since
    the sources are part of the package."""

    files: int = 0
    size: int = 0

    def take(self, size: int) -> None:
        self.files += 1
        self.size += size
        if self.files > DEFAULT_LIMITS.max_entries_per_package:
            raise BuildError(
                f"the build sources hold more than {DEFAULT_LIMITS.max_entries_per_package} files (the package bound)"
            )
        if self.size > DEFAULT_LIMITS.max_expanded_size_bytes:
            raise BuildError(
                f"the build sources exceed {DEFAULT_LIMITS.max_expanded_size_bytes} bytes in all (the package bound)"
            )


def _copy_sources(source: Path, dest: Path, what: str, budget: _StagingBudget) -> None:
    """Copy a source folder for the builder: regular files and folders only (a symlink or FIFO
    is refused, never followed or opened), bounded by `_walk` and `budget`, files at most
    MAX_SOURCE_BYTES, no `__pycache__` (componentize-py's CPython writes one beside what it
    imports)."""
    if source.is_symlink() or not source.is_dir():
        raise BuildError(f"{what} is not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    for name, entry in _walk(source, what):
        if not entry.is_file(follow_symlinks=False):
            raise BuildError(f"{what} holds `{name}`, which is not a regular file or folder")
        data = _read_bounded(source / name, MAX_SOURCE_BYTES, f"{what} file `{name}`")
        budget.take(len(data))
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _target(root: Path, artifact: str) -> Path:
    target = root / artifact
    for parent in [*reversed(target.relative_to(root).parents)][1:]:
        if (root / parent).is_symlink():
            raise BuildError(f"artifact folder `{parent.as_posix()}` is a symlink; refusing to write through it")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise BuildError(f"artifact path `{artifact}` is not a regular file; refusing to replace it")
    (root / Path(artifact).parent).mkdir(parents=True, exist_ok=True)
    return target


def _write_atomically(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def build_wat(source: Path) -> bytes:
    """Assemble and validate (wat2wasm only parses; a module that does not type-check is a failed
    build here, not a surprise at check or run time)."""
    from wasmtime import Engine, Module, WasmtimeError, wat2wasm
    from wasmtime.component import Component

    text = _read_bounded(source, MAX_SOURCE_BYTES, f"WAT source `{source.name}`")
    try:
        data = bytes(wat2wasm(text.decode("utf-8")))
    except UnicodeDecodeError:
        raise BuildError(f"WAT source `{source.name}` is not UTF-8") from None
    except WasmtimeError as error:
        raise BuildError(f"WAT source `{source.name}` does not assemble: {error}", ErrorKind.FAILED) from None
    try:
        if data[4:8] == b"\x01\x00\x00\x00":
            Module.validate(Engine(), data)
        else:
            Component(Engine(), data)
    except WasmtimeError as error:
        raise BuildError(f"WAT source `{source.name}` does not validate: {error}", ErrorKind.FAILED) from None
    return data


def build_world_text(world_id: str, host_apis: set[str]) -> str:
    """A world with the exports of bundled world `world_id` and only the host interfaces whose
    API is in `host_apis`, in the `yoi:plugin@1.0.0` package of the folder's wit/."""
    from engine import api_registry
    from engine.wit.bundled import bundled_resolve, load_world
    from engine.wit.signatures import world_surface

    surface = world_surface(load_world(world_id), bundled_resolve())
    lines = [
        "package yoi:plugin@1.0.0;",
        "",
        f"/// Generated by `yoi plugin build`: {world_id}, with only the host interfaces plugin.toml requests.",
        f"world {BUILD_WORLD} {{",
    ]
    for interface in surface.imports:
        api = api_registry.by_interface(interface)
        if api is not None and api.name in host_apis:
            lines.append(f"  import {interface};")
    lines += [f"  export %{name}: {signature};" for name, signature in surface.exports.items()]
    return "\n".join([*lines, "}", ""])


def _log_tail(log: Path) -> str:
    """The last bytes of the builder's output, without the wrapper's own traceback lines."""
    with open(log, "rb") as handle:
        handle.seek(max(os.path.getsize(log) - LOG_TAIL_BYTES, 0))
        lines = handle.read().decode("utf-8", "replace").splitlines()
    if lines and lines[0].startswith("Traceback (most recent call last):"):  # how componentize-py fails
        lines = lines[1:]
        while lines and lines[0].startswith(" "):
            lines = lines[1:]
    return " | ".join(line.strip() for line in lines if line.strip())


def _run_bounded(command: list[str], cwd: Path, log: Path, timeout: float) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHONDONTWRITEBYTECODE="1", RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")  # errors, not stacks
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BuildError(
                f"componentize-py did not finish within {timeout:g} s; the build was stopped", ErrorKind.FAILED
            ) from None
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise


def build_python(root: Path, manifest, timeout: float) -> bytes:
    if importlib.util.find_spec("componentize_py") is None:
        raise BuildError(f"building a Python guest needs componentize-py, which is not installed; {PDK_HINT}")
    wit = root / "wit"
    if not wit.is_dir() or wit.is_symlink():
        raise BuildError(
            "the package has no wit/ folder (the yoi:plugin worlds and deps/yoi-host); `yoi plugin new` writes one"
        )
    host_apis = {p.value for p in manifest.permissions if p.kind == "host_api"}
    import yoi_pdk

    with tempfile.TemporaryDirectory(prefix="yoi-build-") as staging_name:
        staging = Path(staging_name)
        budget = _StagingBudget()
        _copy_sources(wit, staging / "wit", "wit/", budget)
        # Build from a copy, so the package (and its digest) is not changed behind the author.
        _copy_sources(root / "src", staging / "src", "src/", budget)
        (staging / "wit" / BUILD_WORLD_FILE).write_text(build_world_text(manifest.runtime.world, host_apis))
        shutil.copytree(
            Path(yoi_pdk.__file__).parent,
            staging / "lib" / "yoi_pdk",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        output = staging / "out.wasm"
        command = [
            sys.executable,
            "-c",
            _RUNNER,
            "-q",
            "-d",
            str(staging / "wit"),
            "-w",
            BUILD_WORLD,
            "componentize",
            "--stub-wasi",
            "-p",
            str(staging / "src"),
            "-p",
            str(staging / "lib"),
            PYTHON_APP,
            "-o",
            str(output),
        ]
        code = _run_bounded(command, staging, staging / "build.log", timeout)
        if code != 0 or not output.is_file():
            tail = _log_tail(staging / "build.log").replace(staging_name, "<build>")
            raise BuildError(f"componentize-py failed (exit {code}): {tail}", ErrorKind.FAILED)
        size = output.stat().st_size
        if size > DEFAULT_LIMITS.max_file_size_bytes:
            raise BuildError(
                f"the built component is {size} bytes, over the {DEFAULT_LIMITS.max_file_size_bytes}"
                "-byte per-file package bound",
                ErrorKind.FAILED,
            )
        return output.read_bytes()


def build(directory: str, timeout: float = DEFAULT_TIMEOUT_S) -> BuildResult:
    """Build the artifact of the package folder `directory`; raises BuildError."""
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise BuildError(f"plugin build input `{directory}` is not a plugin folder")
    root = Path(directory).resolve()
    manifest = _manifest(root)
    runtime = manifest.runtime
    if runtime is None or runtime.artifact_path is None:
        raise BuildError("plugin.toml declares no runtime artifact to build")
    artifact = runtime.artifact_path
    if (root / "src").is_symlink():  # WAT and Python alike: sources come from inside the package
        raise BuildError("the package's src/ is a symlink; refusing to build from outside the package")
    wat_source = root / "src" / (Path(artifact).name.removesuffix(".wasm") + ".wat")
    python_source = root / PYTHON_SOURCE
    sources = [p for p in (python_source, wat_source) if p.is_file()]
    if len(sources) != 1:
        found = "both" if sources else "neither"
        raise BuildError(
            f"a build needs exactly one source, {PYTHON_SOURCE} (Python, for a component) or "
            f"src/{wat_source.name} (WAT); found {found}"
        )
    try:
        target = _target(root, artifact)
    except OSError as error:
        raise BuildError(f"artifact path `{artifact}` cannot be prepared: {error.strerror}") from None
    started = time.perf_counter()
    if sources[0] == python_source:
        if runtime.kind != "wasm-component":
            raise BuildError('Python guests are components: set runtime kind = "wasm-component"')
        language, builder, data = "python", "componentize-py", build_python(root, manifest, timeout)
    else:
        language, builder, data = "wat", "wasmtime.wat2wasm", build_wat(wat_source)
    elapsed_ms = (time.perf_counter() - started) * 1000
    try:
        _write_atomically(target, data)
    except OSError as error:
        raise BuildError(f"artifact `{artifact}` could not be written: {error.strerror}", ErrorKind.FAILED) from None
    return BuildResult(directory, language, builder, artifact, len(data), elapsed_ms)
