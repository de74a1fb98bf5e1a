"""The `yoi plugin check` pipeline: one folder or archive, its grants, the rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.pipeline.evaluate import Evaluation
from engine.targets.model import TargetProfile


def evaluate_check(
    path: str | Path,
    grants_file: Path | None = None,
    policy_dirs: Sequence[str | Path] = (),
    targets: Sequence[TargetProfile] | None = None,
) -> Evaluation:
    """Package, grants (`grants_file`, else assumed from the package's own requests), graph and
    rules for one package, judged for `targets` (default: the default target); raises LoadError
    for bad rules and DiagnosticError for a bad config."""
    from engine.grants.config import load_config
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.subjects import check_subject

    config = load_config(grants_file) if grants_file is not None else None
    return evaluate([check_subject(path, config)], policy_dirs=policy_dirs, targets=targets)
