"""Which files a rule program is made of: one listing shared by the loader and the verdict cache.

`engine.datalog.load` parses what this lists; the verdict cache (engine/pipeline/inputs.py) hashes
the same files to key a verdict, without importing the rule engine (lark), so the two can never
disagree on what "the rules" are. A folder contributes its `*.rules` entries sorted by name; an
entry that is not a folder is kept even when it is no regular file (a FIFO, a symlink), so that
reading it reports why instead of a policy silently going missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Parsing and compiling a rule costs about 300 bytes of memory per byte of source (lark's tree and
# the join code): 1 MiB stays near 300 MB, where a 4 MiB file exhausted 1.5 GB (MemoryError).
# Real policy files are kilobytes.
MAX_RULES_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RuleFile:
    """One file of a program: where it is, the label its rules' locations carry, and whether it
    was found by listing a folder (then a symlink there is not followed when it is read)."""

    path: Path
    label: str
    in_folder: bool


def list_rule_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[RuleFile], list[str]]:
    """(the files of `paths` in the order given, each once; the paths that do not exist)."""
    out: list[RuleFile] = []
    missing: list[str] = []
    seen: set[Path] = set()
    for item in paths:
        path = Path(item)
        if os.path.isdir(path):  # os.path: False, not OSError, for a name too long to be a path
            found = [
                RuleFile(p, str(p), True) for p in sorted(path.glob("*.rules")) if p.is_symlink() or not p.is_dir()
            ]
        elif os.path.exists(path):
            found = [RuleFile(path, str(path), False)]
        else:
            missing.append(str(path))
            continue
        for file in found:
            key = Path(os.path.realpath(file.path))  # never raises on a symlink loop
            if key not in seen:
                seen.add(key)
                out.append(file)
    return out, missing
