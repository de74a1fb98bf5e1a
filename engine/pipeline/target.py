"""Evaluate what `explain` and `graph` point at: a package PATH, or a REF in a workspace."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def evaluate_target(target: str, workspace: Path, config_path: Path | None, policy_dirs: Sequence[Path], targets=None):
    """(evaluation, ref). An existing path is judged like `check` (with `--config` as its grants);
    anything else is a reference looked up in the workspace (exact, then unique local id). Both
    are judged for the target profiles `targets` (default: the default target)."""
    from engine.errors import UnknownReference
    from engine.grants.refs import try_parse_ref
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.workspace import evaluate_workspace

    path = Path(target)
    if os.path.exists(path):  # False, not OSError, for a name too long to be a path
        from engine.grants.config import load_config
        from engine.pipeline.subjects import check_subject

        config = load_config(config_path) if config_path is not None else None
        subject = check_subject(path, config)
        return evaluate([subject], policy_dirs=policy_dirs, targets=targets), subject.ref
    evaluation = evaluate_workspace(workspace, config_path, policy_dirs, targets=targets)
    refs = [s.ref for s in evaluation.subjects]
    if target in refs:
        return evaluation, target
    local = [ref for ref in refs if (parsed := try_parse_ref(ref)) and parsed.local_id == target]
    if len(local) == 1:
        return evaluation, local[0]
    from engine.diagnostics import bound_text

    if not local:
        raise UnknownReference(
            f"`{bound_text(target)}` is not an existing package path, and no plugin package in the "
            "workspace has that reference"
        )
    raise UnknownReference(f"plugin package reference `{bound_text(target)}` is ambiguous; use a source-qualified ref")
