"""Manifests and helpers shared by the rule tests (importable: tests/support is on sys.path)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from engine.pipeline.evaluate import evaluate
from engine.pipeline.subjects import check_subject
from package_files import write_package_dir

RAW_MANIFEST = """
schema_version = 1
id = "t.raw"
name = "Raw"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]
[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "tool.wasm"
[[tools]]
name = "echo"
description = "Echo."
input_schema = { type = "object" }
"""

TOOL_MANIFEST = """
schema_version = 1
id = "t.comp"
name = "Component"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]
[runtime]
kind = "wasm-component"
component = "tool.wasm"
world = "yoi:plugin/tool@1.0.0"
[[tools]]
name = "echo"
description = "Echo."
input_schema = { type = "object" }
"""

INSTANCE_MANIFEST = """
schema_version = 1
id = "t.inst"
name = "Instance"
version = "1.0.0"
surfaces = ["tool", "service", "ingress"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "surface", surface = "service" },
  { kind = "surface", surface = "ingress" },
  { kind = "tool", name = "echo" },
  { kind = "service", name = "svc" },
  { kind = "ingress", name = "events" },
]
[runtime]
kind = "wasm-component"
component = "tool.wasm"
world = "yoi:plugin/instance@1.0.0"
[[tools]]
name = "echo"
description = "Echo."
input_schema = { type = "object" }
[[services]]
name = "svc"
description = "Service."
[[ingresses]]
name = "events"
description = "Events."
event_kinds = ["tick"]
"""


def write_package(root: Path, manifest: str, files: dict[str, bytes] | None = None) -> Path:
    """A package folder from manifest text (dedented) and files."""
    return write_package_dir(root, textwrap.dedent(manifest), files)


def judge(path: Path, config=None, policy_dirs=(), targets=()):
    """(subject, evaluation) for `yoi plugin check path [--target T ...]` (default: the default target)."""
    from engine.pipeline.inputs import select_targets

    subject = check_subject(path, config)
    return subject, evaluate([subject], policy_dirs=policy_dirs, targets=select_targets(targets))


def check_path(path, grants_file=None, policy_dirs=(), fail_on: str = "deny") -> dict:
    """The `yoi plugin check --json` report of `path`, built in process."""
    from engine.report.check import check_report
    from engine.verdict.run import check_verdict

    return check_report(check_verdict(path, grants_file, policy_dirs), path, fail_on)


def check_report_of(evaluation, path) -> dict:
    """The check report of an evaluation already made (its single subject)."""
    from engine.report.check import check_report
    from engine.verdict.build import build_verdict

    return check_report(build_verdict(evaluation), path)


def codes(evaluation, severity: str = "deny") -> set[str]:
    return {c.code for c in evaluation.conclusions() if c.severity == severity}


def config_for(ref: str, package_digest: str, version: str, surfaces, permissions: list[str],
               extra_grants: str = "", bind: bool = True) -> str:
    """A [[plugins.enabled]] config enabling `ref` with the given permission TOML objects."""
    binding = f'id = "{ref}"\nversion = "{version}"\ndigest = "{package_digest}"\n' if bind else ""
    return (
        f'[[plugins.enabled]]\nid = "{ref}"\nsurfaces = {list(surfaces)!r}\n'.replace("'", '"')
        + "[plugins.enabled.grants]\n" + binding
        + "permissions = [" + ", ".join(permissions) + "]\n" + extra_grants
    )
