"""`yoi plugin migrate`: a yoi 43c9216e package folder (and its enablements) in the b12e0785
format, as a reviewable change (yoi-current-spec.md §10).

`migrate()` reads and computes; nothing is written until `write()`. Inputs are read bounded and
non-blocking (engine/safe_read.py), parsed with tomllib first (so a hostile file fails with a
clear message before tomlkit sees it) and edited with tomlkit (engine/migrate/documents.py).
Notes say what migrate could not do (`action`: the result is not yet a working b12e0785
package), what to do next (`next`) and what behaves differently there (`info`).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.api_registry.websocket import websocket_source
from engine.errors import EngineError, ErrorKind
from engine.migrate.https import convert

MANIFEST = "plugin.toml"
ARCHIVE_SUFFIX = ".yoi-plugin"
MAX_ARTIFACT_BYTES = 32 * 1024 * 1024  # engine/runtime/wasm.py; a larger artifact is not inspected


class MigrateError(EngineError):
    """An input migrate cannot use; the message names the file and the problem."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class Note:
    level: str  # "action" | "next" | "info"
    message: str


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        name = os.fspath(self.path)
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class Migration:
    files: tuple[FileChange, ...]  # the manifest, then the config when one was given
    notes: tuple[Note, ...]

    @property
    def changed(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def needs_action(self) -> bool:
        return any(note.level == "action" for note in self.notes)

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed)


# ---- reading ---------------------------------------------------------------------------------


def _read_text(path: Path, limit: int, what: str, *, follow_symlinks: bool) -> str:
    from engine.safe_read import ReadError, read_bounded

    try:
        data = read_bounded(path, limit, follow_symlinks=follow_symlinks)
    except ReadError as error:
        raise MigrateError(f"{what} could not be read: {error.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MigrateError(f"{what} is not UTF-8") from None


def _parse(text: str, what: str) -> tuple[dict[str, Any], Any]:
    """(plain values, tomlkit document); both parsers must accept the text."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        plain = tomllib.loads(text)
        document = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError):
        raise MigrateError(f"{what} could not be parsed as TOML") from None
    except RecursionError:
        raise MigrateError(f"{what} nests values too deeply") from None
    return plain, document


def _package_folder(path: Path) -> Path:
    if path.is_dir():
        return path
    if path.name == MANIFEST and path.parent.is_dir():
        return path.parent
    if not os.path.lexists(path):
        raise MigrateError(f"{path} does not exist")
    if path.suffix == ARCHIVE_SUFFIX:
        raise MigrateError(
            "migrate never modifies a .yoi-plugin archive (its digest would change): unpack it, migrate the "
            "folder, re-pack it with `yoi plugin pack` and update the digest pins"
        )
    raise MigrateError(f"{path} is not a plugin package folder (migrate reads a folder holding plugin.toml)")


# ---- the migration ---------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _matching_enablements(plain: dict[str, Any], local_id: str) -> list[int]:
    from engine.grants.refs import try_parse_ref

    enabled = plain.get("plugins", {}).get("enabled", []) if isinstance(plain.get("plugins"), dict) else []
    out = []
    for index, entry in enumerate(enabled if isinstance(enabled, list) else []):
        ref = (
            try_parse_ref(entry.get("id", "")) if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None
        )
        if ref is not None and ref.local_id == local_id:
            out.append(index)
    return out


class _Run:
    """One migration's state: documents being edited and the notes so far."""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.targets: list[dict[str, Any]] = []
        self.target_sources: list[str] = []
        self.pinned: list[str] = []  # enablements that pin the package digest

    def note(self, level: str, message: str) -> None:
        if Note(level, message) not in self.notes:
            self.notes.append(Note(level, message))

    def config(self, plain: dict[str, Any], document: Any, local_id: str, config_name: str) -> None:
        from engine.migrate.documents import ShapeError, rename_https_grants, rename_https_permissions

        matches = _matching_enablements(plain, local_id)
        if not matches:
            self.note("info", f"{config_name} has no [[plugins.enabled]] entry for `{local_id}`; it was not changed")
        for index in matches:
            entry = plain["plugins"]["enabled"][index]
            ref = entry["id"]
            grants = entry.get("grants")
            if not isinstance(grants, dict):
                continue
            edited = document["plugins"]["enabled"][index]["grants"]
            try:
                if "permissions" in grants:
                    rename_https_permissions(edited["permissions"], "grants.permissions")
                if "https" in grants:
                    raw = grants["https"] if isinstance(grants["https"], list) else None
                    if raw is None or not all(isinstance(e, dict) for e in raw):
                        raise ShapeError("`grants.https` must be an array of tables")
                    results = [convert(e) for e in raw]
                    for number, result in enumerate(results, 1):
                        if result.skipped:
                            self.note("info", f"{ref}: https grant {number} was not migrated: {result.skipped}")
                    rename_https_grants(edited, [r.table for r in results])
                    self.targets.extend(r.table for r in results if r.table is not None)
                    self.target_sources.append(ref)
            except ShapeError as error:
                raise MigrateError(f"{config_name}: {ref}: {error}") from None
            if entry.get("digest") or grants.get("digest"):
                self.pinned.append(ref)
        if matches and not _dict(plain.get("plugins")).get("resolved"):
            self.note(
                "info",
                "a Worker at b12e0785 does not resolve [[plugins.enabled]] at startup; it needs a resolved plan "
                "([plugins].resolved) to load the package (cur §3.7, §10 row 19)",
            )
        if _dict(plain.get("plugins")).get("resolved"):
            self.note(
                "next",
                f"{config_name} holds a resolved plan ([plugins].resolved) written for 43c9216e; b12e0785 cannot read "
                "one with https grants: resolve it again after migrating (cur §3.1, §10 row 4)",
            )

    def manifest(self, folder: Path, plain: dict[str, Any], document: Any) -> None:
        from engine.migrate.documents import ShapeError, add_manifest_targets

        runtime = _dict(plain.get("runtime"))
        if runtime.get("kind") == "wasm":
            abi = runtime.get("abi") if isinstance(runtime.get("abi"), str) else "yoi-plugin-wasm-1"
            self.note(
                "action",
                f'runtime `wasm` / `{abi}` is retired at b12e0785 ("legacy raw wasm plugin runtime ... is retired; '
                'use `wasm-component`"): rebuild the tool as a component (`kind = "wasm-component"`, '
                '`world = "yoi:plugin/tool@1.0.0"`; `yoi plugin new wat-tool` shows one); [runtime] was not rewritten',
            )
        elif runtime.get("kind") == "wasm-component":
            self._component_imports(folder, runtime)
        requests_request = any(
            isinstance(p, dict) and p.get("kind") == "host_api" and p.get("api") in ("https", "request")
            for p in plain.get("permissions", [])
            if isinstance(plain.get("permissions"), list)
        )
        if requests_request:
            try:
                add_manifest_targets(document, self.targets, ", ".join(self.target_sources) or "the enablement")
            except ShapeError as error:
                raise MigrateError(f"{MANIFEST}: {error}") from None
            if not document.get("request"):
                self.note(
                    "action",
                    "the manifest requests host_api.request (was https) but declares no [[request]] target, so every "
                    "request is denied at b12e0785 (`manifest host_api.request target declaration is missing`): "
                    "pass --config with the package's enablement to turn its https grants into targets, or declare "
                    "them by hand",
                )
        self._behaviour(plain)

    def _component_imports(self, folder: Path, runtime: dict[str, Any]) -> None:
        """Row 5: say so when the artifact imports the old `https` interface."""
        from engine.package.paths import normalize_archive_path

        path = runtime.get("component")
        relative = normalize_archive_path(path) if isinstance(path, str) else None
        if relative is None:
            return
        try:
            from engine.safe_read import ReadError, read_bounded

            data = read_bounded(folder / relative, MAX_ARTIFACT_BYTES, follow_symlinks=False)
        except ReadError:
            return
        from engine.artifact import inspect_artifact

        info = inspect_artifact(data)
        if any(item.interface == "yoi:host/https@1.0.0" for item in info.imports):
            self.note(
                "action",
                f'`{relative}` imports `yoi:host/https@1.0.0`: b12e0785 refuses it at install ("unsupported component '
                'import"); rebuild the component against wit/hosts/yoi@b12e0785, where the interface is `request`',
            )

    def _behaviour(self, plain: dict[str, Any]) -> None:
        """Rows 9, 11-13: the same manifest behaves differently at b12e0785."""
        runtime = plain.get("runtime")
        if runtime is None and plain.get("tools"):
            self.note(
                "info",
                "without [runtime] the tools register at 43c9216e and fail per call; at b12e0785 the install fails",
            )
        ingresses = [_dict(i) for i in _list(plain.get("ingresses"))]
        if ingresses:
            self.note(
                "info",
                "at b12e0785 a trap, bad output or a dispatch over 1 s marks the service Failed and it refuses "
                "later events until the host restarts (cur §6.6, §10 row 13)",
            )
        for ingress in ingresses:
            name = ingress.get("name", "?")
            if ingress.get("event_kinds"):
                self.note("info", f"at b12e0785 ingress `{name}` refuses events whose kind is not in its event_kinds")
            sources = [s for s in _list(ingress.get("sources")) if isinstance(s, str)]
            if any(websocket_source(s) is not None for s in sources):
                self.note(
                    "info",
                    f"at b12e0785 the host opens ingress `{name}`'s WebSocket sources at startup: they need "
                    "host_api.websocket, a [[websocket]] target and a grant (43c9216e ignored sources)",
                )


def migrate(path: str | os.PathLike[str], config: str | os.PathLike[str] | None = None) -> Migration:
    """The migration of package folder `path` (and the enablements of it in `config`); reads only."""
    from engine.grants.config import MAX_CONFIG_BYTES
    from engine.migrate.documents import ShapeError, rename_https_permissions
    from engine.package.limits import DEFAULT_LIMITS

    folder = _package_folder(Path(path))
    manifest_path = folder / MANIFEST
    manifest_text = _read_text(manifest_path, DEFAULT_LIMITS.max_manifest_size_bytes, MANIFEST, follow_symlinks=False)
    manifest_plain, manifest_doc = _parse(manifest_text, MANIFEST)
    local_id = manifest_plain.get("id")
    if not isinstance(local_id, str) or not local_id:
        raise MigrateError(f"{MANIFEST} has no string `id`")
    run = _Run()
    try:
        if "permissions" in manifest_plain:
            rename_https_permissions(manifest_doc["permissions"], "permissions")
    except ShapeError as error:
        raise MigrateError(f"{MANIFEST}: {error}") from None
    files = []
    if config is not None:
        config_path = Path(config)
        config_text = _read_text(config_path, MAX_CONFIG_BYTES, os.fspath(config_path), follow_symlinks=True)
        config_plain, config_doc = _parse(config_text, os.fspath(config_path))
        run.config(config_plain, config_doc, local_id, os.fspath(config_path))
    run.manifest(folder, manifest_plain, manifest_doc)
    files.append(FileChange(manifest_path, manifest_text, manifest_doc.as_string()))
    if config is not None:
        files.append(FileChange(config_path, config_text, config_doc.as_string()))
    if files[0].changed:
        run.note(
            "next",
            "the manifest changed, so the package digest does: re-pack it (`yoi plugin pack`) and check it for "
            "the new host (`yoi plugin check`)",
        )
        for ref in run.pinned:
            run.note("next", f"{ref} pins the package digest: after re-packing, update its `digest` pins")
    return Migration(tuple(files), tuple(run.notes))


def write(migration: Migration) -> list[Path]:
    """Write the changed files atomically, each only if it still holds what was read."""
    from engine.atomic_write import replace_file

    changed = migration.changed
    for change in changed:
        if os.path.islink(change.path):
            raise MigrateError(f"{change.path} is a symlink; migrate the file it points to")
    for change in changed:
        try:
            current = change.path.read_bytes()
        except OSError as error:
            raise MigrateError(f"{change.path} could not be read again: {error.strerror or 'error'}") from None
        if current != change.before.encode("utf-8"):
            raise MigrateError(f"{change.path} changed while it was being migrated; run migrate again")
    written = []
    for change in changed:
        try:
            replace_file(change.path, change.after.encode("utf-8"))
        except OSError as error:
            raise MigrateError(f"{change.path} could not be written: {error.strerror or 'error'}") from None
        written.append(change.path)
    return written
