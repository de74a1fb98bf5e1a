"""The in-toto statements (in-toto.io/Statement/v1) this engine signs and reads.

Two predicates:

- the package statement, what `yoi plugin sign` signs: one subject, the package (named
  `<id>@<version>`, not a file), whose `sha256` is the engine's package digest (spec §5.7: a
  SHA-256 over the package's paths and file hashes, not over an archive's bytes; in-toto tools,
  sigstore-python among them, accept only standard algorithm names), and a predicate stating the
  same digest as the engine prints it (`sha256:<hex>`), the package id and its version. No time,
  no path: two signers of one package build the same bytes.
- the build provenance, what `yoi plugin build` writes beside a package: SLSA provenance v1
  (slsa.dev/provenance/v1) whose subjects are the package and its artifact (`sha256` of the
  artifact's bytes), with the source tree digest, the build recipe, the tool versions, the engine
  version and the WIT world's hash.

Readers are strict about every field they use and refuse the statement (`StatementProblem`)
otherwise; the digests they return are compared with ones recomputed from the package, never
trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.provenance.dsse import EnvelopeProblem, strict_json

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SCHEMA_BASE = "https://schemas.yoi.dev/plugin-engine/"  # identifiers, as engine/json_schema.py uses
SIGNATURE_PREDICATE = SCHEMA_BASE + "package-signature/v1"
PROVENANCE_PREDICATE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = SCHEMA_BASE + "build/v1"
BUILDER_ID = SCHEMA_BASE + "builder/yoi-plugin-build"
PACKAGE_DIGEST_ALGORITHM = "sha256"  # of the package digest's preimage (spec §5.7), see above
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
MAX_TEXT = 256  # any string a statement carries into a report


class StatementProblem(EnvelopeProblem):
    """A payload that is not the statement expected."""


@dataclass(frozen=True)
class PackageClaim:
    """What a package statement says: this id, at this version, has this digest."""

    id: str
    version: str
    digest: str  # sha256:<hex>


def package_statement(claim: PackageClaim) -> dict[str, Any]:
    hex_digest = claim.digest.removeprefix("sha256:")
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"{claim.id}@{claim.version}", "digest": {PACKAGE_DIGEST_ALGORITHM: hex_digest}}],
        "predicateType": SIGNATURE_PREDICATE,
        "predicate": {"id": claim.id, "version": claim.version, "digest": claim.digest},
    }


def _object(value: Any, what: str, keys: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StatementProblem(f"{what} is not an object")
    if keys is not None and set(value) != keys:
        raise StatementProblem(f"{what} does not have exactly the fields {', '.join(sorted(keys))}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT or not value.isprintable():
        raise StatementProblem(f"{what} is not a short printable string")
    return value


def _statement(document: Any, predicate_type: str) -> dict[str, Any]:
    document = _object(document, "the statement")
    if document.get("_type") != STATEMENT_TYPE:
        raise StatementProblem(f"the statement is not an in-toto {STATEMENT_TYPE}")
    if document.get("predicateType") != predicate_type:
        raise StatementProblem(f"the statement's predicate type is not {predicate_type}")
    if not isinstance(document.get("subject"), list) or not document["subject"]:
        raise StatementProblem("the statement has no subject")
    return document


def parse_package_statement(payload: bytes) -> PackageClaim:
    """The claim of a package statement; the statement must have exactly the shape
    `package_statement` writes, and its subject and predicate must state the same digest."""
    document = _statement(strict_json(payload), SIGNATURE_PREDICATE)
    _object(document, "the statement", {"_type", "subject", "predicateType", "predicate"})
    if len(document["subject"]) != 1:
        raise StatementProblem("the statement does not have exactly one subject")
    subject = _object(document["subject"][0], "the subject", {"name", "digest"})
    digests = _object(subject["digest"], "the subject digest", {PACKAGE_DIGEST_ALGORITHM})
    predicate = _object(document["predicate"], "the predicate", {"id", "version", "digest"})
    claim = PackageClaim(
        _text(predicate["id"], "the package id"),
        _text(predicate["version"], "the package version"),
        _text(predicate["digest"], "the package digest"),
    )
    match = _DIGEST.fullmatch(claim.digest)
    if match is None or digests[PACKAGE_DIGEST_ALGORITHM] != match.group(1):
        raise StatementProblem("the subject and the predicate do not state one sha256 package digest")
    if subject["name"] != f"{claim.id}@{claim.version}":
        raise StatementProblem("the subject name is not the package id and version")
    return claim


# --- build provenance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildFacts:
    """What a build did, as the provenance states it and rules read it."""

    package_id: str
    package_version: str
    package_digest: str  # sha256:<hex>, the package as built (artifact and build record in it)
    artifact_path: str
    artifact_sha256: str  # hex
    source_digest: str  # sha256:<hex>: the package digest of the folder without its build outputs
    recipe: str  # the build recipe ("python", "wat"): the template the build followed
    builder: str  # the tool that made the artifact (componentize-py, wasmtime.wat2wasm)
    tools: tuple[tuple[str, str], ...]  # (tool, version), the engine included
    world: str  # the WIT world the artifact targets ("" for a core module)
    world_sha256: str  # hex over that world's canonical surface ("" for a core module)
    started_on: str  # RFC 3339, UTC
    finished_on: str

    def fields(self) -> tuple[tuple[str, str], ...]:
        """(field, value) pairs for facts and reports, the tools separate."""
        return (
            ("package_digest", self.package_digest),
            ("artifact_path", self.artifact_path),
            ("artifact_sha256", self.artifact_sha256),
            ("source_digest", self.source_digest),
            ("template", self.recipe),
            ("builder", self.builder),
            ("world", self.world),
            ("world_sha256", self.world_sha256),
            ("started_on", self.started_on),
            ("finished_on", self.finished_on),
        )


def provenance_statement(facts: BuildFacts) -> dict[str, Any]:
    package_hex = facts.package_digest.removeprefix("sha256:")
    source_hex = facts.source_digest.removeprefix("sha256:")
    dependencies: list[dict[str, Any]] = []
    if facts.world:
        dependencies.append({"name": facts.world, "digest": {"sha256": facts.world_sha256}})
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {
                "name": f"{facts.package_id}@{facts.package_version}",
                "digest": {PACKAGE_DIGEST_ALGORITHM: package_hex},
            },
            {"name": facts.artifact_path, "digest": {"sha256": facts.artifact_sha256}},
        ],
        "predicateType": PROVENANCE_PREDICATE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "source": {"digest": {PACKAGE_DIGEST_ALGORITHM: source_hex}},
                    "template": facts.recipe,
                },
                "internalParameters": {"builder": facts.builder},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": dict(facts.tools)},
                "metadata": {"startedOn": facts.started_on, "finishedOn": facts.finished_on},
            },
        },
    }


def _hex(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise StatementProblem(f"{what} is not a lowercase hex SHA-256")
    return value


def provenance_from_json(document: Any) -> BuildFacts:
    """The build facts of a provenance statement `provenance_statement` wrote (extra fields, as
    SLSA allows, are ignored; every field used is checked)."""
    document = _statement(document, PROVENANCE_PREDICATE)
    if len(document["subject"]) != 2:
        raise StatementProblem("the provenance does not have exactly two subjects (package, artifact)")
    package = _object(document["subject"][0], "the package subject")
    artifact = _object(document["subject"][1], "the artifact subject")
    package_digests = _object(package.get("digest"), "the package subject digest", {PACKAGE_DIGEST_ALGORITHM})
    artifact_digests = _object(artifact.get("digest"), "the artifact subject digest", {"sha256"})
    name = _text(package.get("name"), "the package subject name")
    package_id, at, version = name.rpartition("@")
    if not at or not package_id:
        raise StatementProblem("the package subject name is not id@version")
    predicate = _object(document.get("predicate"), "the predicate")
    definition = _object(predicate.get("buildDefinition"), "buildDefinition")
    if definition.get("buildType") != BUILD_TYPE:
        raise StatementProblem(f"the build type is not {BUILD_TYPE}")
    external = _object(definition.get("externalParameters"), "externalParameters")
    source = _object(_object(external.get("source"), "the source").get("digest"), "the source digest")
    internal = _object(definition.get("internalParameters"), "internalParameters")
    dependencies = definition.get("resolvedDependencies")
    if not isinstance(dependencies, list) or len(dependencies) > 1:
        raise StatementProblem("resolvedDependencies is not a list of at most one world")
    world, world_sha = "", ""
    if dependencies:
        entry = _object(dependencies[0], "the world dependency", {"name", "digest"})
        world = _text(entry["name"], "the world")
        world_sha = _hex(_object(entry["digest"], "the world digest", {"sha256"})["sha256"], "the world digest")
    run = _object(predicate.get("runDetails"), "runDetails")
    builder = _object(run.get("builder"), "the builder")
    if builder.get("id") != BUILDER_ID:
        raise StatementProblem(f"the builder is not {BUILDER_ID}")
    versions = _object(builder.get("version"), "the builder versions")
    if len(versions) > 16:
        raise StatementProblem("the builder names more than 16 tools")
    metadata = _object(run.get("metadata"), "the run metadata")
    return BuildFacts(
        package_id,
        version,
        "sha256:" + _hex(package_digests[PACKAGE_DIGEST_ALGORITHM], "the package digest"),
        _text(artifact.get("name"), "the artifact path"),
        _hex(artifact_digests["sha256"], "the artifact digest"),
        "sha256:" + _hex(source.get(PACKAGE_DIGEST_ALGORITHM), "the source digest"),
        _text(external.get("template"), "the template"),
        _text(internal.get("builder"), "the builder tool"),
        tuple(sorted((_text(k, "a tool name"), _text(v, "a tool version")) for k, v in versions.items())),
        world,
        world_sha,
        _text(metadata.get("startedOn"), "startedOn"),
        _text(metadata.get("finishedOn"), "finishedOn"),
    )
