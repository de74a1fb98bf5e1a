"""The `yoi plugin check` pipeline: one folder or archive, its grants, the rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.pipeline.inputs import RuleFiles, RunInputs

if TYPE_CHECKING:  # the graph and the rules load only when a run is evaluated
    from engine.pipeline.evaluate import Evaluation
    from engine.targets.model import TargetProfile


def check_inputs(
    path: str | Path,
    grants_file: Path | None = None,
    policy_dirs: Sequence[str | Path] = (),
    targets: Sequence[TargetProfile] | None = None,
) -> RunInputs:
    """What `check` judges: the package, its grants (`grants_file`, else assumed from the
    package's own requests), the rule files and the targets (default: the default target);
    raises DiagnosticError for a bad config."""
    from engine.grants.config import load_config
    from engine.pipeline.inputs import select_targets
    from engine.pipeline.subjects import check_subject
    from engine.protected import host_protected_paths

    config = load_config(grants_file) if grants_file is not None else None
    protected = host_protected_paths(policy_dirs=policy_dirs)
    feature = config.plugins_feature if config is not None else None
    selected = select_targets() if targets is None else tuple(targets)
    return RunInputs(
        (check_subject(path, config),), RuleFiles.of(policy_dirs), protected, selected, plugins_feature=feature
    )


def evaluate_check(
    path: str | Path,
    grants_file: Path | None = None,
    policy_dirs: Sequence[str | Path] = (),
    targets: Sequence[TargetProfile] | None = None,
) -> Evaluation:
    """Package, grants, graph and rules for one package, judged for `targets`; raises LoadError
    for bad rules and DiagnosticError for a bad config."""
    from engine.pipeline.evaluate import evaluate_inputs

    return evaluate_inputs(check_inputs(path, grants_file, policy_dirs, targets))
