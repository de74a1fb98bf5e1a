"""One call from input to verdict: the pipeline (engine/pipeline) then build_verdict.

These are what the commands and the startup gate call; each raises LoadError for rules that do
not load and DiagnosticError for input that cannot be read, exactly as the pipeline does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.verdict.model import RunVerdict


def check_verdict(
    path: str | Path, grants_file: Path | None = None, policy_dirs: Sequence[str | Path] = (), targets=None
) -> RunVerdict:
    """The verdict of `yoi plugin check PATH [--grants FILE] [--policy DIR...] [--target T...]`
    (`targets`: the selected TargetProfiles; default: the default target)."""
    from engine.pipeline.check import evaluate_check
    from engine.verdict.build import build_verdict

    return build_verdict(evaluate_check(path, grants_file, policy_dirs, targets))


def workspace_verdict(
    workspace: Path, config_path: Path | None = None, policy_dirs: Sequence[Path] = (), **options
) -> RunVerdict:
    """The verdict of every package and enablement of a workspace (list, show; `targets` in
    `options` selects the target profiles, the others go to discovery: progress, limits, stores)."""
    from engine.pipeline.workspace import evaluate_workspace
    from engine.verdict.build import build_verdict

    return build_verdict(evaluate_workspace(workspace, config_path, policy_dirs, **options))
