"""The verdict stage: the rules' facts of one Evaluation become one typed RunVerdict.

    from engine.verdict.build import build_verdict

    verdict = build_verdict(evaluation)
    verdict.packages[0].status, verdict.plans, verdict.outcome(GATE_VIEW, "deny").failed

The verdict is built once; reports, the startup gate and exit codes read it, and nothing after
this stage decides a status, an eligibility or an exit code (DESIGN decision 8). Importing the
package gives the model only; the builder (which loads the graph's fact schema) is imported
where a verdict is built.
"""

from engine.verdict.model import (
    FAIL_ON_LEVELS,
    GATE_VIEW,
    PER_SURFACE_VIEW,
    About,
    Finding,
    ItemVerdict,
    Outcome,
    PackageVerdict,
    RunVerdict,
)

__all__ = [
    "FAIL_ON_LEVELS",
    "GATE_VIEW",
    "PER_SURFACE_VIEW",
    "About",
    "Finding",
    "ItemVerdict",
    "Outcome",
    "PackageVerdict",
    "RunVerdict",
]
