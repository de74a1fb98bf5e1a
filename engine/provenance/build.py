"""The build provenance `yoi plugin build` writes beside the package folder: `DIR.intoto.json`.

An in-toto statement with SLSA provenance v1 (statements.py) naming the package as built (its
digest, recomputed from the folder after the build) and its artifact (the SHA-256 of its bytes),
the sources (the package digest of the folder without the build's outputs), the recipe, the tool
versions, the engine version and the WIT world's hash. It holds the build's start and end
times, which is why it is beside the folder and never in it: inside, it would change the digest
of every build and break reproducible digests (and the statement would be about itself).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from engine.package.digest import package_digest
from engine.package.model import Package
from engine.provenance.beside import PROVENANCE_SUFFIX, beside
from engine.provenance.dsse import canonical_json
from engine.provenance.statements import BuildFacts, provenance_statement

ENGINE = "yoi-plugin-engine"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def world_sha256(world_id: str) -> str:
    """SHA-256 of a bundled world's canonical surface: every import and export with its
    structural signature, so two WIT texts of one world hash alike and any change to what the
    artifact must provide or may use changes it."""
    from engine.wit.bundled import bundled_resolve, load_world
    from engine.wit.signatures import world_surface

    surface = world_surface(load_world(world_id), bundled_resolve())
    document = {
        "world": surface.world,
        "imports": {k: dict(v) for k, v in surface.imports.items()},
        "import_functions": dict(surface.import_functions),
        "exports": dict(surface.exports),
        "export_interfaces": {k: dict(v) for k, v in surface.export_interfaces.items()},
    }
    return hashlib.sha256(canonical_json(document)).hexdigest()


def tool_versions(recorded: Mapping[str, str] | None, language: str) -> tuple[tuple[str, str], ...]:
    """The engine and the tools that made the artifact, with their versions: those the build
    record states (engine/authoring/record.py), else the builder's own."""
    from engine import __version__

    tools = dict(recorded or {})
    if not tools:
        if language == "python":
            tools["componentize-py"] = importlib.metadata.version("componentize-py")
        else:
            from engine.compiled import wasmtime_version

            tools["wasmtime"] = wasmtime_version()
    tools[ENGINE] = __version__
    return tuple(sorted(tools.items()))


def build_facts(
    package: Package,
    *,
    artifact: str,
    outputs: Iterable[str],
    language: str,
    builder: str,
    started: datetime,
    finished: datetime,
    tools: Mapping[str, str] | None = None,
) -> BuildFacts:
    """What the build of `package` (just built: `outputs` are the files the build wrote) did."""
    written = set(outputs)
    sources = {path: data for path, data in package.files.items() if path not in written}
    runtime = package.manifest.runtime
    world = runtime.world if runtime is not None and runtime.world else ""
    return BuildFacts(
        package_id=package.manifest.id,
        package_version=package.manifest.version,
        package_digest=package.digest,
        artifact_path=artifact,
        artifact_sha256=hashlib.sha256(package.files[artifact]).hexdigest(),
        source_digest=package_digest(sources),
        recipe=language,
        builder=builder,
        tools=tool_versions(tools, language),
        world=world,
        world_sha256=world_sha256(world) if world else "",
        started_on=rfc3339(started),
        finished_on=rfc3339(finished),
    )


def write_provenance(directory: str, facts: BuildFacts) -> str:
    """Write the statement beside the folder, atomically; returns its path (OSError otherwise)."""
    from engine.atomic_write import write_file

    path = beside(directory, PROVENANCE_SUFFIX)
    text = json.dumps(provenance_statement(facts), indent=2, sort_keys=True) + "\n"
    write_file(Path(path), text.encode("ascii"), 0o644)
    return path
