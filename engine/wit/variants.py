"""Upstream yoi's own WIT at each commit the engine judges packages for (`wit/hosts/`).

`yoi:host@1.0.0` changed in place between yoi 43c9216e and b12e0785 (https became request,
websocket was added, the version stayed 1.0.0), so each upstream copy is a WIT root of its own,
named like the target that uses it (`yoi@b12e0785`). `wit/hosts/pins.toml` pins every file by
sha256 (checked here before a variant is resolved) and by upstream git blob id (provenance a
reader can check against the public repository). A changed, missing or unlisted file is an error:
judging a package against WIT that is not upstream's would give a wrong answer quietly.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.safe_read import ReadError, read_bounded

PINS_FILE = ("hosts", "pins.toml")
MAX_PINS_BYTES = 64 * 1024
MAX_WIT_BYTES = 4 * 1024 * 1024  # the parser's own bound (docs/wit.md)
MAX_WALK = 256  # entries looked at in one variant folder when searching for unlisted files
_HEX64 = frozenset("0123456789abcdef")


class VariantError(EngineError):
    """The pins file or a variant folder is not what it must be (a broken installation); the
    message says which file."""

    error_kind = ErrorKind.INTERNAL


@dataclass(frozen=True)
class PinnedFile:
    path: str  # relative to the variant folder, POSIX
    upstream_path: str
    sha256: str
    git_blob: str


@dataclass(frozen=True)
class HostVariant:
    """One upstream WIT root: where it came from and the files it must hold."""

    name: str
    repository: str
    commit: str
    files: tuple[PinnedFile, ...]

    def folder(self) -> Path:
        return _hosts_dir() / self.name


def _hosts_dir() -> Path:
    from engine.resources import wit_dir

    return wit_dir() / PINS_FILE[0]


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise VariantError(f"{where}: `{key}` must be a non-empty string")
    return value


def _hex(entry: dict[str, Any], key: str, length: int, where: str) -> str:
    value = _text(entry, key, where)
    if len(value) != length or not set(value) <= _HEX64:
        raise VariantError(f"{where}: `{key}` must be {length} lowercase hex digits")
    return value


def _safe_relative(path: str, where: str) -> str:
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in path:
        raise VariantError(f"{where}: `path` must be a relative POSIX path inside the variant folder")
    return path


def parse_pins(text: str, where: str = "wit/hosts/pins.toml") -> dict[str, HostVariant]:
    """The variants of a pins file, by name; VariantError names the first problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise VariantError(f"{where} could not be parsed as TOML") from None
    if document.get("schema_version") != 1:
        raise VariantError(f"{where}: `schema_version` must be 1")
    entries = document.get("variant")
    if not isinstance(entries, list) or not entries:
        raise VariantError(f"{where}: at least one [[variant]] is required")
    variants: dict[str, HostVariant] = {}
    for index, entry in enumerate(entries):
        at = f"{where}: variant[{index}]"
        if not isinstance(entry, dict):
            raise VariantError(f"{at} must be a table")
        name = _safe_relative(_text(entry, "name", at), at)
        if "/" in name or name in variants:
            raise VariantError(f"{at}: `name` must be a unique folder name")
        files = []
        for j, item in enumerate(entry.get("file") or ()):
            fat = f"{at}.file[{j}]"
            if not isinstance(item, dict):
                raise VariantError(f"{fat} must be a table")
            files.append(
                PinnedFile(
                    path=_safe_relative(_text(item, "path", fat), fat),
                    upstream_path=_text(item, "upstream_path", fat),
                    sha256=_hex(item, "sha256", 64, fat),
                    git_blob=_hex(item, "git_blob", 40, fat),
                )
            )
        if not files:
            raise VariantError(f"{at}: at least one [[variant.file]] is required")
        variants[name] = HostVariant(
            name=name,
            repository=_text(entry, "repository", at),
            commit=_hex(entry, "commit", 40, at),
            files=tuple(files),
        )
    return variants


_lock = threading.Lock()
_variants: dict[str, HostVariant] | None = None
_verified: set[str] = set()


def host_variants() -> dict[str, HostVariant]:
    """The bundled variants by name (read once per process)."""
    global _variants
    if _variants is None:
        with _lock:
            if _variants is None:
                path = _hosts_dir() / PINS_FILE[1]
                try:
                    data = read_bounded(path, MAX_PINS_BYTES)
                except ReadError as error:
                    raise VariantError(f"wit/hosts/pins.toml could not be read: {error.reason}") from None
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise VariantError("wit/hosts/pins.toml is not UTF-8") from None
                _variants = parse_pins(text)
    return _variants


def git_blob_id(data: bytes) -> str:
    """Git's object id of a file with these bytes (`git hash-object`): what upstream's tree lists."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def verify(variant: HostVariant, folder: Path | None = None) -> None:
    """Every pinned file is present with its sha256, and the folder (default: the bundled one)
    holds no other .wit file."""
    folder = variant.folder() if folder is None else folder
    where = f"WIT variant `{variant.name}`"
    for pinned in variant.files:
        try:
            data = read_bounded(folder / pinned.path, MAX_WIT_BYTES, follow_symlinks=False)
        except ReadError as error:
            raise VariantError(f"{where}: `{pinned.path}` could not be read: {error.reason}") from None
        if hashlib.sha256(data).hexdigest() != pinned.sha256:
            raise VariantError(f"{where}: `{pinned.path}` does not match its pinned sha256")
    listed = {pinned.path for pinned in variant.files}
    for seen, path in enumerate(folder.rglob("*.wit"), 1):
        if seen > MAX_WALK:
            raise VariantError(f"{where}: the folder holds more than {MAX_WALK} .wit files")
        relative = path.relative_to(folder).as_posix()
        if relative not in listed:
            raise VariantError(f"{where}: `{relative}` is not pinned in wit/hosts/pins.toml")


def variant_folder(name: str) -> Path:
    """The verified folder of variant `name`; KeyError (naming the known ones) when unknown."""
    variants = host_variants()
    variant = variants.get(name)
    if variant is None:
        known = ", ".join(sorted(variants))
        raise KeyError(f"unknown WIT variant `{name}` (bundled: {known})")
    if name not in _verified:
        verify(variant)
        with _lock:
            _verified.add(name)
    return variant.folder()
