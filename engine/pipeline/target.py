"""What `explain`, `graph` and `facts` point at: a package PATH, or a REF in a workspace."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from engine.pipeline.inputs import RuleFiles, RunInputs


def target_inputs(
    target: str, workspace: Path, config_path: Path | None, policy_dirs: Sequence[Path] = (), targets=None
) -> tuple[RunInputs, str, bool]:
    """(inputs, ref, whether the target is a workspace REF). An existing path is judged like
    `check` (with `--config` as its grants); anything else is a reference looked up in the
    workspace (exact, then unique local id). Either is judged for the target profiles `targets`
    (default: the default target)."""
    from engine.errors import UnknownReference
    from engine.grants.refs import try_parse_ref
    from engine.pipeline.workspace import workspace_inputs

    path = Path(target)
    if os.path.exists(path):  # False, not OSError, for a name too long to be a path
        from engine.grants.config import load_config
        from engine.pipeline.inputs import select_targets
        from engine.pipeline.subjects import check_subject
        from engine.protected import host_protected_paths

        config = load_config(config_path) if config_path is not None else None
        subject = check_subject(path, config)
        protected = host_protected_paths(policy_dirs=policy_dirs)
        selected = select_targets() if targets is None else tuple(targets)
        return RunInputs((subject,), RuleFiles.of(policy_dirs), protected, selected), subject.ref, False
    inputs = workspace_inputs(workspace, config_path, policy_dirs, targets=targets)
    refs = [s.ref for s in inputs.subjects]
    if target in refs:
        return inputs, target, True
    local = [ref for ref in refs if (parsed := try_parse_ref(ref)) and parsed.local_id == target]
    if len(local) == 1:
        return inputs, local[0], True
    from engine.diagnostics import bound_text

    if not local:
        raise UnknownReference(
            f"`{bound_text(target)}` is not an existing package path, and no plugin package in the "
            "workspace has that reference"
        )
    raise UnknownReference(f"plugin package reference `{bound_text(target)}` is ambiguous; use a source-qualified ref")


def evaluate_target(target: str, workspace: Path, config_path: Path | None, policy_dirs: Sequence[Path], targets=None):
    """(evaluation, ref) of what `target` names, judged for the target profiles `targets`."""
    from engine.pipeline.evaluate import evaluate_inputs

    inputs, ref, _ = target_inputs(target, workspace, config_path, policy_dirs, targets)
    return evaluate_inputs(inputs), ref
