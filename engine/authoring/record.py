"""The build record: what an artifact was built from, written beside it and packed with it.

`<artifact>.build.json` names the builder, the tool versions, the builder options that shape the
output, the sha256 of every input (package files by their package path, engine files such as the
PDK as `engine:...`, generated files as `generated:...`) and the sha256 of the artifact. It holds
no timestamp and no absolute path, so it is the same bytes wherever and whenever the same inputs
are built, and two builds of a reproducible builder in different folders pack to one digest.

It answers two questions: "is the artifact up to date with its sources?" (`yoi plugin dev` and
`yoi plugin call DIR` rebuild only when not), and, for a builder that is not reproducible
(componentize-py), "what exactly was used?", so that a reviewer can at least rebuild from the
same inputs with the same tools.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.package.limits import DEFAULT_LIMITS
from engine.safe_read import ReadError, read_bounded

SCHEMA = "yoi-plugin-build-record/1"
SUFFIX = ".build.json"
MAX_RECORD_BYTES = 1024 * 1024


def record_path(artifact: str) -> str:
    """The record's package path for the artifact at package path `artifact`."""
    return artifact + SUFFIX


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class BuildInputs:
    """Everything a build's output depends on, as the record states it."""

    language: str
    builder: str
    tools: tuple[tuple[str, str], ...]  # (name, version)
    options: tuple[str, ...]  # builder options that shape the output, in the order given
    files: tuple[tuple[str, str], ...]  # (label, sha256), sorted by label

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "builder": self.builder,
            "tools": dict(self.tools),
            "options": list(self.options),
            "inputs": dict(self.files),
        }


def inputs_of(language: str, builder: str, tools: dict[str, str], options: list[str], files: dict[str, bytes]):
    """BuildInputs hashing the very bytes the builder is given."""
    return BuildInputs(
        language,
        builder,
        tuple(sorted(tools.items())),
        tuple(options),
        tuple(sorted((label, sha256_hex(data)) for label, data in files.items())),
    )


def render(inputs: BuildInputs, artifact: str, data: bytes, reproducible: bool) -> bytes:
    """The record's bytes: canonical JSON (sorted keys, two-space indent, final newline)."""
    document = {
        "schema": SCHEMA,
        **inputs.to_dict(),
        "artifact": {"path": artifact, "sha256": sha256_hex(data), "size_bytes": len(data)},
        "reproducible_builder": reproducible,
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


def read(path: Path) -> dict[str, Any] | None:
    """A record's content, or None when it is absent, unreadable or not a record of this schema."""
    try:
        document = json.loads(read_bounded(path, MAX_RECORD_BYTES, follow_symlinks=False))
    except (ReadError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and document.get("schema") == SCHEMA else None


def up_to_date(root: Path, artifact: str, inputs: BuildInputs) -> bool:
    """True when the artifact on disk is the one the record says was built from exactly `inputs`."""
    document = read(root / record_path(artifact))
    if document is None or {k: document.get(k) for k in inputs.to_dict()} != inputs.to_dict():
        return False
    built = document.get("artifact")
    if not isinstance(built, dict) or built.get("path") != artifact:
        return False
    size = built.get("size_bytes")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= DEFAULT_LIMITS.max_file_size_bytes:
        return False  # a record may lie about the size: never read more than a package file may hold
    try:
        data = read_bounded(root / artifact, size, follow_symlinks=False)
    except ReadError:
        return False
    return sha256_hex(data) == built.get("sha256")
