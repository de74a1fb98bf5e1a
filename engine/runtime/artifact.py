"""Reading a plan's artifact for loading, after re-verifying the package digest (spec §5.7).

A plan names a digest; if the package on disk no longer has that digest (replaced, edited or
removed after planning) nothing of it is loaded: the plan approved other bytes.
"""

from __future__ import annotations

import hashlib
import os

from engine.diagnostics import DiagnosticError
from engine.package.digest import package_digest
from engine.package.materialize import read_package_files
from engine.plan import Plan
from engine.runtime.errors import RuntimeFault


def load_artifact(plan: Plan) -> bytes:
    """The artifact bytes of `plan`, or a `load` fault when the package changed since planning."""
    try:
        files, _ = read_package_files(plan.package_path, directory=os.path.isdir(plan.package_path))
    except DiagnosticError as error:
        raise RuntimeFault("load", f"package/module load error: {error}") from None
    found = package_digest(files)
    if found != plan.digest:
        raise RuntimeFault("load", f"package/module load error: package digest is {found}, but the plan approved "
                                   f"{plan.digest}; the package changed after planning and is refused")
    data = files.get(plan.artifact_path)
    if data is None:
        raise RuntimeFault("load", f"package/module load error: artifact `{plan.artifact_path}` is missing")
    if plan.artifact_sha256 and hashlib.sha256(data).hexdigest() != plan.artifact_sha256:
        raise RuntimeFault("load", "package/module load error: artifact sha256 differs from the plan")
    return data
