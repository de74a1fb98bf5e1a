"""One call from input to verdict: the pipeline's inputs, then the verdict cache or the pipeline
(graph, facts, rules) and build_verdict.

These are what the commands and the startup gate call; each raises LoadError for rules that do
not load and DiagnosticError for input that cannot be read, exactly as the pipeline does.
`check` and the workspace commands (list, show, the workspace hook) read the verdict cache
(engine/verdict/cached.py); the startup gate evaluates afresh (`cached=False`), so what a host
runs never rests on an on-disk entry.
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
    from engine.pipeline.check import check_inputs
    from engine.verdict.cached import cached_verdict

    return cached_verdict(check_inputs(path, grants_file, policy_dirs, targets))


def workspace_verdict(
    workspace: Path,
    config_path: Path | None = None,
    policy_dirs: Sequence[Path] = (),
    *,
    cached: bool = True,
    **options,
) -> RunVerdict:
    """The verdict of every package and enablement of a workspace (list, show; `options` go to
    discovery: progress, limits, stores, and `config` when the caller already loaded it, and
    `targets`, the TargetProfiles judged for)."""
    from engine.pipeline.workspace import workspace_inputs

    inputs = workspace_inputs(workspace, config_path, policy_dirs, **options)
    progress = options.get("progress")
    if progress is not None:
        progress.add(len(inputs.subjects))  # graph and rules, reported done with the verdict
    if cached:
        from engine.verdict.cached import cached_verdict

        verdict = cached_verdict(inputs)
    else:
        from engine.pipeline.evaluate import evaluate_inputs
        from engine.verdict.build import build_verdict

        verdict = build_verdict(evaluate_inputs(inputs))
    if progress is not None:
        progress.advance(len(inputs.subjects))
    return verdict
