"""Evaluate a whole workspace: discovery + enablement config + resolution + rules.

Used by `list`, `show`, `explain REF` and `graph REF`. The user store is the same one the host
uses at startup (`$XDG_DATA_HOME` or `~/.local/share`, then `yoi/plugins`): the reference's
list/show read a different folder than its Pod (spec §9.4); we read the one that runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from engine.diagnostics import Diagnostic, DiagnosticError
from engine.grants.model import EnablementConfig
from engine.pipeline.inputs import RuleFiles, RunInputs


def load_workspace_config(workspace: Path, config_path: Path | None) -> EnablementConfig:
    """The explicit config (must exist), else `<workspace>/.yoi/config.toml` when present; either
    way its relative fs roots are the workspace's."""
    from engine.grants.config import default_config_path, load_config

    if config_path is not None:
        return load_config(config_path, workspace=workspace)
    default = default_config_path(workspace)
    if os.path.lexists(default):  # a FIFO or dangling link there is an error, not "no config"
        return load_config(default, follow_symlinks=False, workspace=workspace)
    return EnablementConfig(enabled=(), file=None)


def workspace_inputs(
    workspace: Path,
    config_path: Path | None = None,
    policy_dirs: Sequence[Path] = (),
    config: EnablementConfig | None = None,
    targets=None,
    **discover_options,
) -> RunInputs:
    """Every discovered package and every enablement of the workspace, resolved, the rule files
    and the targets judged for (`config`: the workspace config when the caller already loaded it,
    so it is not parsed twice; `targets`: TargetProfiles, default the default target;
    `discover_options` go to discovery: progress, limits, stores)."""
    from engine.grants.config import default_config_path
    from engine.package.discovery import discover, store_paths
    from engine.pipeline.inputs import select_targets
    from engine.pipeline.subjects import workspace_subjects
    from engine.protected import host_protected_paths

    if not os.path.isdir(workspace):  # False, not OSError, for a name too long to be a path
        raise DiagnosticError(Diagnostic("io", "config", f"workspace `{workspace}` does not exist: not found"))
    if config is None:
        config = load_workspace_config(workspace, config_path)
    discovery = discover(workspace, **discover_options)
    stores = store_paths(workspace, **{k: v for k, v in discover_options.items() if k == "user_data_home"})
    protected = host_protected_paths((config.file, default_config_path(workspace)), policy_dirs, stores)
    subjects = workspace_subjects(workspace, config, discovery)
    selected = select_targets() if targets is None else tuple(targets)
    return RunInputs(subjects, RuleFiles.of(policy_dirs), protected, selected, plugins_feature=config.plugins_feature)


def evaluate_workspace(
    workspace: Path,
    config_path: Path | None = None,
    policy_dirs: Sequence[Path] = (),
    config: EnablementConfig | None = None,
    targets=None,
    **discover_options,
):
    """Evaluation over every discovered package and every enablement of the workspace, judged
    for the target profiles `targets` (default: the default target)."""
    from engine.pipeline.evaluate import evaluate_inputs

    inputs = workspace_inputs(workspace, config_path, policy_dirs, config, targets, **discover_options)
    progress = discover_options.get("progress")
    if progress is not None:
        progress.add(len(inputs.subjects))  # graph and rules, reported done when the evaluation is
    evaluation = evaluate_inputs(inputs)
    if progress is not None:
        progress.advance(len(inputs.subjects))
    return evaluation
