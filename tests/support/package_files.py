"""Real plugin packages for tests: manifest text, package folders and `.yoi-plugin` archives.

Importable from any test (tests/support is on sys.path); tests/package/conftest.py also offers
them as fixtures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from engine.package.archive import write_archive

MINIMAL_MANIFEST = """\
schema_version = 1
id = "{id}"
name = "{name}"
version = "{version}"
"""


def manifest_text(id: str = "example.pkg", version: str = "0.1.0", *, name: str = "Example package",
                  extra: str = "") -> str:
    """A valid manifest without runtime (valid at manifest level, spec §1.3), then `extra`."""
    return MINIMAL_MANIFEST.format(id=id, name=name, version=version) + extra


def _as_bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def write_package_dir(
    root: Path, manifest: str | None = None, files: Mapping[str, bytes | str] | None = None
) -> Path:
    """Create `root` with plugin.toml (unless manifest is None and files lack it) and `files`."""
    root.mkdir(parents=True, exist_ok=True)
    all_files: dict[str, bytes | str] = {}
    if manifest is not None:
        all_files["plugin.toml"] = manifest
    all_files.update(files or {})
    for relative, content in all_files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_as_bytes(content))
    return root


def write_package_archive(
    target: Path, manifest: str, files: Mapping[str, bytes | str] | None = None
) -> dict[str, bytes]:
    """Write a `.yoi-plugin` archive of plugin.toml and `files` to `target` (folders created);
    return the packed files, e.g. for `package_digest`."""
    packed = {"plugin.toml": _as_bytes(manifest), **{k: _as_bytes(v) for k, v in (files or {}).items()}}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(write_archive(packed))
    return packed
