"""What a verdict is computed from, and the key that names it (the verdict cache, issue 22 point 2).

A stale verdict is a security bug, so the key is not a list someone keeps next to the pipeline:
inputs declare themselves, in two ways.

- `RunInputs` is what a command was pointed at: its subjects (package, enablement, grants,
  resolution, input diagnostics, ...) and the rule files. The pipeline evaluates a RunInputs and
  nothing else, and every field of it is key material, encoded generically (`key_material`): a
  frozen dataclass by all of its fields, containers by their items, and an object that knows a
  better summary by its `cache_key_material()` (a Package by its digest instead of its bytes, the
  rule files by their contents). A field added to RunInputs or to a Subject is in the key without
  anyone remembering to put it there; a value the encoder does not know makes the run uncacheable
  (computed, not stored), never a key that ignores it.
- What an evaluation reads from around it: the engine's own code and data folders, the versions
  of the libraries that shape a verdict, the environment variables the host-API registry
  declares. Each is one `KeyContributor` in `KEY_CONTRIBUTORS`.

docs/architecture.md ("The verdict cache") says how to add an input. Nothing here imports the
graph, the rule engine (lark) or networkx: a cache hit must not pay for them.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from engine.graph.inputs import Subject
from engine.protected import ProtectedPath
from engine.resources import data_dir
from engine.rule_files import MAX_RULES_FILE_BYTES, list_rule_files
from engine.safe_read import ReadError, read_bounded
from engine.targets.model import TargetProfile

KEY_VERSION = b"yoi-run-verdict-key-v1\0"
MAX_KEY_DEPTH = 200  # nesting of one input value (a deeply nested enablement `config`)
# The data folders an evaluation reads besides the rule files: bundled WIT worlds and rules.
EVALUATION_DATA = ("rules", "wit", "targets")
# Libraries whose behaviour shapes a verdict (manifest validation, rule parsing, the graph).
VERDICT_LIBRARIES = ("cerberus", "lark", "networkx")
ENGINE_DIR = Path(__file__).resolve().parent.parent  # the `engine` package


class Uncacheable(Exception):
    """Key material could not be taken (an unreadable rule file, an unknown value type): the run
    is evaluated and its verdict not stored. Raised by material functions, answered as "no key"
    by RunInputs.cache_key."""


@dataclass(frozen=True)
class RuleFiles:
    """The rule program of a run: the built-in rules plus the `--policy` folders, as given.
    Its key material is the content of every file `engine.datalog.load` will read."""

    policy_dirs: tuple[str, ...] = ()

    @classmethod
    def of(cls, policy_dirs: Iterable[str | os.PathLike[str]]) -> RuleFiles:
        return cls(tuple(str(p) for p in policy_dirs))

    @property
    def folders(self) -> tuple[str, ...]:
        """The resolved folders the program is loaded from (built-in rules first)."""
        return tuple(str(Path(p).resolve()) for p in (str(data_dir("rules")), *self.policy_dirs))

    def cache_key_material(self) -> object:
        files, missing = list_rule_files(self.folders)
        if missing:
            raise Uncacheable("a rule path does not exist")
        out = []
        for file in files:
            try:
                content = read_bounded(file.path, MAX_RULES_FILE_BYTES, follow_symlinks=not file.in_folder)
            except ReadError:
                raise Uncacheable("a rule file cannot be read") from None
            out.append((file.label, file.in_folder, hashlib.sha256(content).hexdigest()))
        return (self.policy_dirs, self.folders, tuple(out))


def select_targets(requested: Sequence[str] = ()) -> tuple[TargetProfile, ...]:
    """The profiles `--target` values name (`all`: every one; none: the default), in the order
    given; UnknownTarget (kind usage) names the known ones. The one place a run's target set is
    decided; the result is RunInputs.targets, key material like every other input."""
    from engine.targets.registry import bundled_targets

    return bundled_targets().select(requested)


@dataclass(frozen=True)
class RunInputs:
    """Everything one evaluation is computed from, besides the engine itself (see the module
    docstring): `engine.pipeline.evaluate.evaluate_inputs` reads these fields and nothing else."""

    subjects: tuple[Subject, ...]
    rules: RuleFiles = RuleFiles()
    # the host's protected paths of the run (engine/protected.py): caches, configs, stores, policies
    protected: tuple[ProtectedPath, ...] = ()
    # the target profiles judged for (`--target`, docs/targets.md), resolved: what each says,
    # not only its name, is key material (the registry's APIs the engine target offers included)
    targets: tuple[TargetProfile, ...] = ()
    # `[feature.plugins] enabled` of the run's config as written (EnablementConfig.plugins_feature),
    # None without a config: the rules decide whether plugins are exposed
    plugins_feature: str | None = None

    def cache_key(self) -> str | None:
        """The hex key of these inputs and of every KEY_CONTRIBUTORS entry; None when some
        material cannot be taken (then nothing is cached)."""
        digest = hashlib.sha256(KEY_VERSION)
        try:
            key_material(digest, self)
            for contributor in KEY_CONTRIBUTORS:
                key_material(digest, contributor.name)
                key_material(digest, contributor.material())
        except Uncacheable:
            return None
        return digest.hexdigest()


@dataclass(frozen=True)
class KeyContributor:
    """One input an evaluation reads from around it, not from RunInputs: `material()` returns
    any value `key_material` encodes (or raises Uncacheable)."""

    name: str
    material: Callable[[], object]
    why: str


def _tagged(digest, tag: bytes, data: bytes) -> None:
    digest.update(tag + len(data).to_bytes(8, "big") + data)


def key_material(digest, value: object, depth: int = 0) -> None:
    """Feed `value` into `digest` so that two different values never feed the same bytes: every
    item is tagged with its type and length. Raises Uncacheable for a type it does not know."""
    if depth > MAX_KEY_DEPTH:
        raise Uncacheable("an input value is nested too deeply")
    kind = type(value)
    summary = getattr(kind, "cache_key_material", None)
    if value is None:
        digest.update(b"N")
    elif kind is bool:
        digest.update(b"T" if value else b"F")
    elif summary is not None:
        _tagged(digest, b"o", kind.__qualname__.encode())
        key_material(digest, summary(value), depth + 1)
    elif isinstance(value, enum.Enum):
        _tagged(digest, b"e", f"{kind.__qualname__}.{value.name}".encode())
    elif isinstance(value, str):
        _tagged(digest, b"s", value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, int):
        _tagged(digest, b"i", str(int(value)).encode())
    elif isinstance(value, float):
        _tagged(digest, b"f", float(value).hex().encode())
    elif isinstance(value, (bytes, bytearray)):
        _tagged(digest, b"b", bytes(value))
    elif isinstance(value, PurePath):
        _tagged(digest, b"p", os.fsencode(value))
    elif isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        _tagged(digest, b"t", f"{kind.__qualname__}:{value.isoformat()}:{getattr(value, 'tzinfo', None)!r}".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _tagged(digest, b"d", f"{kind.__module__}.{kind.__qualname__}".encode())
        for field in dataclasses.fields(value):
            _tagged(digest, b"k", field.name.encode())
            key_material(digest, getattr(value, field.name), depth + 1)
    elif isinstance(value, Mapping):
        _tagged(digest, b"m", str(len(value)).encode())
        for item_key, item in value.items():
            key_material(digest, item_key, depth + 1)
            key_material(digest, item, depth + 1)
    elif isinstance(value, (tuple, list)):
        _tagged(digest, b"l", str(len(value)).encode())
        for item in value:
            key_material(digest, item, depth + 1)
    elif isinstance(value, (set, frozenset)):
        parts = []
        for item in value:
            part = hashlib.sha256()
            key_material(part, item, depth + 1)
            parts.append(part.digest())
        _tagged(digest, b"u", b"".join(sorted(parts)))
    else:
        raise Uncacheable(f"no key material for a value of type {kind.__qualname__}")


def _tree(folder: Path, skip: Path | None = None) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file under `folder`, sorted; bytecode caches and `skip`
    (a folder walked on its own) left out. Iterative: no recursion on a deep tree."""
    out: list[tuple[str, str]] = []
    todo = [folder]
    while todo:
        current = todo.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError:
            raise Uncacheable("an engine folder cannot be listed") from None
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__" and path != skip:
                    todo.append(path)
            elif not entry.name.endswith((".pyc", ".pyo")):
                try:
                    with open(path, "rb") as handle:
                        content = handle.read()
                except OSError:
                    raise Uncacheable("an engine file cannot be read") from None
                out.append((str(path.relative_to(folder)), hashlib.sha256(content).hexdigest()))
    return sorted(out)


def engine_material() -> tuple:
    """The engine's version and code, and the data folders an evaluation reads: an edited engine,
    rules file, bundled WIT world or target profile never reads a verdict an older one wrote. The
    code is hashed once per process (it is the code this process runs); the data folders, which an
    evaluation reads from disk, every time."""
    data = tuple((name, tuple(_tree(data_dir(name).resolve()))) for name in EVALUATION_DATA)
    return (_code_material(ENGINE_DIR), data)


@functools.cache
def _code_material(package: Path) -> tuple:
    from engine import __version__

    return (__version__, tuple(_tree(package, skip=package / "_data")))  # _data: an installed wheel's data


@functools.cache
def library_material() -> tuple:
    """Python, and the installed version of each library that shapes a verdict, read from its
    dist-info folder name (importlib.metadata would parse every METADATA file; nothing is
    imported here)."""
    import importlib.util

    found: list[tuple[str, str]] = [("python", sys.version), ("implementation", sys.implementation.name)]
    for name in VERDICT_LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None:
            found.append((name, "absent"))
            continue
        site = Path(origin).parent.parent
        prefix = f"{name.lower()}-"
        try:
            versions = sorted(
                entry.name[len(prefix) : -len(".dist-info")]
                for entry in os.scandir(site)
                if entry.name.lower().startswith(prefix) and entry.name.endswith(".dist-info")
            )
        except OSError:
            versions = []
        found.append((name, ",".join(versions) or f"unknown at {origin}"))
    return tuple(found)


def environment_material() -> tuple:
    """The values of the environment variables the host-API registry's facts read."""
    from engine import api_registry

    names = sorted({name for api in api_registry.HOST_APIS for name in api.grant.ENVIRONMENT})
    return tuple((name, os.environ.get(name)) for name in names)


KEY_CONTRIBUTORS: Sequence[KeyContributor] = (
    KeyContributor("engine", engine_material, "the engine's code, rules, bundled WIT and target profiles"),
    KeyContributor("libraries", library_material, "Python and the libraries that validate, parse and join"),
    KeyContributor("environment", environment_material, "environment variables facts read (HOME: broad fs roots)"),
)
