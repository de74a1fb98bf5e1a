"""`yoi plugin build`: turn a package folder's sources into the artifact its manifest names.

- WAT (`src/<artifact name>.wat`): assembled in process with `wasmtime.wat2wasm`; reproducible.
- Python (`src/app.py`): componentize-py as a bounded subprocess (engine/authoring/python_build.py).

Every input is read once, as bytes, before the builder runs; the build record
(engine/authoring/record.py) hashes exactly those bytes and is written beside the artifact. The
artifact and the record replace the old ones atomically (temp file + rename in the same folder); a
failed build leaves both untouched. `check_reproducible` builds twice and compares the bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.authoring import python_build, record
from engine.authoring.python_build import PYTHON_SOURCE
from engine.authoring.sources import MAX_SOURCE_BYTES, BuildError, NoSource, read_file, regular_files
from engine.errors import ErrorKind
from engine.package.limits import DEFAULT_LIMITS
from engine.package.manifest import load_manifest
from engine.package.paths import normalize_archive_path

DEFAULT_TIMEOUT_S = python_build.DEFAULT_TIMEOUT_S
_BLOCK = 64 * 1024


@dataclass(frozen=True)
class Reproducibility:
    """Two builds of the same inputs, compared byte for byte."""

    identical: bool
    sha256: tuple[str, str]
    size_bytes: tuple[int, int]
    first_difference: int | None  # byte offset
    differing_sections: int  # top-level wasm sections that differ (by position)
    sections: int
    note: str  # why the builder is not reproducible (empty when it is declared reproducible)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identical": self.identical,
            "sha256": list(self.sha256),
            "size_bytes": list(self.size_bytes),
            "first_difference": self.first_difference,
            "differing_sections": self.differing_sections,
            "sections": self.sections,
            "note": self.note,
        }


@dataclass(frozen=True)
class BuildResult:
    directory: str
    language: str
    builder: str
    artifact: str
    size_bytes: int
    build_ms: float
    sha256: str = ""
    record: str = ""  # the build record's package path
    built: bool = True  # False when the artifact was already up to date (build_if_changed)
    reproducibility: Reproducibility | None = None


@dataclass(frozen=True)
class BuildJob:
    """One build, ready to run: where its output goes, what it reads, and how to run it."""

    root: Path
    artifact: str
    inputs: record.BuildInputs
    run: Callable[[], bytes]
    reproducible: bool  # declared: the builder gives identical bytes for identical inputs
    note: str  # why not, when it is not


def _manifest(root: Path):
    data = read_file(root / "plugin.toml", DEFAULT_LIMITS.max_manifest_size_bytes, "plugin.toml")
    try:  # the artifact may not exist yet: count the path it names as present
        runtime = tomllib.loads(data.decode("utf-8")).get("runtime") or {}
        planned = {p for p in (runtime.get("component"), runtime.get("entry")) if isinstance(p, str)}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        planned = set()
    from engine.diagnostics import DiagnosticError

    try:
        return load_manifest(data, regular_files(root) | {p for p in planned if normalize_archive_path(p)})
    except DiagnosticError as error:
        raise BuildError(f"plugin.toml is invalid: {error.diagnostics[0].message}") from None


def _check_target(root: Path, path: str) -> Path:
    """`root/path`, refusing to write through a symlinked folder or over a non-file."""
    target = root / path
    for parent in [*reversed(target.relative_to(root).parents)][1:]:
        if (root / parent).is_symlink():
            raise BuildError(f"artifact folder `{parent.as_posix()}` is a symlink; refusing to write through it")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise BuildError(f"artifact path `{path}` is not a regular file; refusing to replace it")
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


def build_wat(text: bytes, name: str) -> bytes:
    """Assemble and validate (wat2wasm only parses; a module that does not type-check is a failed
    build here, not a surprise at check or run time)."""
    from wasmtime import Engine, Module, WasmtimeError, wat2wasm
    from wasmtime.component import Component

    try:
        data = bytes(wat2wasm(text.decode("utf-8")))
    except UnicodeDecodeError:
        raise BuildError(f"WAT source `{name}` is not UTF-8") from None
    except WasmtimeError as error:
        raise BuildError(f"WAT source `{name}` does not assemble: {error}", ErrorKind.FAILED) from None
    try:
        if data[4:8] == b"\x01\x00\x00\x00":
            Module.validate(Engine(), data)
        else:
            Component(Engine(), data)
    except WasmtimeError as error:
        raise BuildError(f"WAT source `{name}` does not validate: {error}", ErrorKind.FAILED) from None
    return data


def _wat_job(root: Path, artifact: str, source: Path) -> BuildJob:
    from engine.compiled import wasmtime_version

    label = source.relative_to(root).as_posix()
    text = read_file(source, MAX_SOURCE_BYTES, f"WAT source `{source.name}`")
    inputs = record.inputs_of("wat", "wasmtime.wat2wasm", {"wasmtime": wasmtime_version()}, [], {label: text})
    return BuildJob(root, artifact, inputs, lambda: build_wat(text, source.name), True, "")


def _python_job(root: Path, artifact: str, manifest, timeout: float) -> BuildJob:
    if manifest.runtime.kind != "wasm-component":
        raise BuildError('Python guests are components: set runtime kind = "wasm-component"')
    files = python_build.gather(root, manifest)
    inputs = record.inputs_of(
        "python",
        python_build.BUILDER,
        {python_build.BUILDER: python_build.builder_version()},
        python_build.OPTIONS,
        {python_build.record_label(name): data for name, data in files.items()},
    )
    return BuildJob(
        root, artifact, inputs, lambda: python_build.build(files, timeout), False, python_build.REPRODUCIBILITY_NOTE
    )


def plan_build(directory: str, timeout: float = DEFAULT_TIMEOUT_S) -> BuildJob:
    """Read the package folder `directory` and everything its build needs; raises BuildError."""
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
        error = BuildError if sources else NoSource
        raise error(
            f"a build needs exactly one source, {PYTHON_SOURCE} (Python, for a component) or "
            f"src/{wat_source.name} (WAT); found {found}"
        )
    if sources[0] == python_source:
        return _python_job(root, artifact, manifest, timeout)
    return _wat_job(root, artifact, wat_source)


def _first_difference(first: bytes, second: bytes) -> int:
    """The offset of the first differing byte (block by block, then within the block)."""
    shorter = min(len(first), len(second))
    for block in range(0, shorter, _BLOCK):
        if first[block : block + _BLOCK] != second[block : block + _BLOCK]:
            end = min(block + _BLOCK, shorter)
            return next((i for i in range(block, end) if first[i] != second[i]), end)
    return shorter


def compare(first: bytes, second: bytes, note: str) -> Reproducibility:
    """Byte and top-level section comparison of two builds of the same inputs."""
    from engine.artifact.sections import MalformedWasm, sections

    identical = first == second
    offset = None if identical else _first_difference(first, second)
    try:
        pieces = [[(sid, r.data[r.pos : r.end]) for sid, r in sections(d, 8, len(d), None)] for d in (first, second)]
    except MalformedWasm:
        pieces = [[], []]
    longest = max(len(pieces[0]), len(pieces[1]))
    differing = sum(
        1 for i in range(longest) if i >= len(pieces[0]) or i >= len(pieces[1]) or pieces[0][i] != pieces[1][i]
    )
    return Reproducibility(
        identical,
        (record.sha256_hex(first), record.sha256_hex(second)),
        (len(first), len(second)),
        offset,
        differing,
        longest,
        "" if identical else note or "the builder produced different bytes from identical inputs",
    )


def run_job(job: BuildJob, directory: str, check_reproducible: bool = False) -> BuildResult:
    """Run the build (twice with `check_reproducible`), then write the artifact and its record."""
    try:
        target = _check_target(job.root, job.artifact)
        record_target = _check_target(job.root, record.record_path(job.artifact))
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"artifact path `{job.artifact}` cannot be prepared: {error.strerror}") from None
    started = time.perf_counter()
    data = job.run()
    elapsed_ms = (time.perf_counter() - started) * 1000
    reproducibility = compare(data, job.run(), job.note) if check_reproducible else None
    try:
        _write_atomically(target, data)
        _write_atomically(record_target, record.render(job.inputs, job.artifact, data, job.reproducible))
    except OSError as error:
        raise BuildError(
            f"artifact `{job.artifact}` could not be written: {error.strerror}", ErrorKind.FAILED
        ) from None
    return BuildResult(
        directory,
        job.inputs.language,
        job.inputs.builder,
        job.artifact,
        len(data),
        elapsed_ms,
        record.sha256_hex(data),
        record.record_path(job.artifact),
        True,
        reproducibility,
    )


def build(directory: str, timeout: float = DEFAULT_TIMEOUT_S, check_reproducible: bool = False) -> BuildResult:
    """Build the artifact of the package folder `directory`; raises BuildError."""
    return run_job(plan_build(directory, timeout), directory, check_reproducible)


def build_if_changed(directory: str, timeout: float = DEFAULT_TIMEOUT_S) -> BuildResult:
    """`build`, unless the build record says the artifact was built from exactly these inputs with
    these tools (then `built` is False and nothing is written)."""
    job = plan_build(directory, timeout)
    if record.up_to_date(job.root, job.artifact, job.inputs):
        size = (job.root / job.artifact).stat().st_size
        return BuildResult(
            directory,
            job.inputs.language,
            job.inputs.builder,
            job.artifact,
            size,
            0.0,
            "",
            record.record_path(job.artifact),
            False,
        )
    return run_job(job, directory)
