"""The verdict cache: a run whose inputs did not change is answered from disk, without building
the graph or loading the rule program (issue 22 point 2).

The key is the RunInputs' key (engine/pipeline/inputs.py: every input declares its material) under
the engine and Python version (engine.cache.cache_key). The entry is the pickled RunVerdict,
stored through engine.cache's entry API: owner-only folder and file, written atomically, and
authenticated by an HMAC-SHA256 under the folder's random key over the entry's name (which is its
key) and bytes, so an entry planted, altered or moved to another key is discarded, never
unpickled. What is never stored:

- a verdict whose evaluation rests on a volatile fact (an inspection stopped by its time bound:
  the next run may finish it), or a run whose inputs cannot be keyed (an unreadable rule file);
- a verdict whose inputs changed while it was evaluated: the key is taken again afterwards and
  must be the one taken before (rule files, data folders and the environment are read again by
  the evaluation itself, so an edit in between must not be stored under the old contents);
- errors: a run that fails to load rules or config raises before anything is stored;
- the enablement's `config` (it may hold secrets): each plan is stored without it and gets it
  back from the run's own subjects on a hit, whose key already proved it is the same config.

`YOI_CACHE=off` bypasses the cache (engine/cache.py).
"""

from __future__ import annotations

import contextlib
import os
import pickle
from dataclasses import replace

from engine import cache
from engine.pipeline.inputs import RunInputs
from engine.plan import freeze_json
from engine.verdict.model import RunVerdict

ENTRY_PREFIX = "verdict-"
ENTRY_SUFFIX = ".pickle"
MAX_ENTRIES = 512  # verdicts kept; the oldest are removed past this (one per changed input set)
_WITHHELD = "\0withheld"  # a plan's config_json while stored: never a JSON text


def entry_name(inputs: RunInputs) -> str | None:
    """The cache entry of `inputs`, or None when the cache is off or the inputs cannot be keyed."""
    if cache.cache_dir() is None:
        return None
    key = inputs.cache_key()
    return None if key is None else f"{ENTRY_PREFIX}{cache.cache_key('run-verdict', key)}{ENTRY_SUFFIX}"


def cached_verdict(inputs: RunInputs) -> RunVerdict:
    """The verdict of `inputs`: from the cache when an entry for exactly these inputs exists,
    else evaluated (graph, facts, rules), built, and stored."""
    name = entry_name(inputs)
    if name is not None:
        found = _load(name, inputs)
        if found is not None:
            return found
    from engine.pipeline.evaluate import evaluate_inputs
    from engine.verdict.build import build_verdict

    evaluation = evaluate_inputs(inputs)
    verdict = build_verdict(evaluation)
    if name is not None and not evaluation.volatile and entry_name(inputs) == name:
        _store(name, verdict)
    return verdict


def _load(name: str, inputs: RunInputs) -> RunVerdict | None:
    data = cache.read_private(name)
    if data is None:
        return None
    try:
        verdict = pickle.loads(data)
    except Exception:  # noqa: BLE001 - damaged bytes can raise almost anything: evaluate again
        return None
    if not isinstance(verdict, RunVerdict):
        return None
    return _with_configs(verdict, inputs)


def _store(name: str, verdict: RunVerdict) -> None:
    packages = tuple(
        replace(p, plan=replace(p.plan, config_json=_WITHHELD)) if p.plan is not None else p for p in verdict.packages
    )
    cache.write_private(name, pickle.dumps(replace(verdict, packages=packages), protocol=pickle.HIGHEST_PROTOCOL))
    _prune()


def _with_configs(verdict: RunVerdict, inputs: RunInputs) -> RunVerdict | None:
    """The stored verdict with each plan's config taken from this run's subject (None when a plan
    has no subject: the entry does not belong to these inputs)."""
    subjects = {subject.ref: subject for subject in inputs.subjects}
    packages = []
    for package in verdict.packages:
        plan = package.plan
        if plan is None:
            packages.append(package)
            continue
        subject = subjects.get(package.ref)
        if subject is None or plan.config_json != _WITHHELD:
            return None
        packages.append(replace(package, plan=replace(plan, config_json=freeze_json(subject.config))))
    return replace(verdict, packages=tuple(packages))


def _prune() -> None:
    """Keep the newest MAX_ENTRIES verdicts: every changed input set writes a new entry."""
    folder = cache.cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        entries = [e for e in os.scandir(folder) if e.name.startswith(ENTRY_PREFIX) and e.name.endswith(ENTRY_SUFFIX)]
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns)
        for entry in entries[: len(entries) - MAX_ENTRIES * 3 // 4]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
