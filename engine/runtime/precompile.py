"""Compiling the planned artifacts before their first use (issue 21 point 3).

A fresh artifact is compiled on its instance's first start: seconds for a Python guest (tens of
seconds on a loaded machine), paid by the first call, one package after another as calls
arrive. A host (`serve`, `start_plans`) instead hands every plan to a `Precompiler` when it
starts: each artifact not yet in the compiled-artifact cache is compiled into it in the
background, in parallel across artifacts, while requests are answered.

- One job per artifact (its kind and sha256), however many packages share it; a job runs the
  runtime's own compile (engine.runtime.compiler.compile_into_cache: a compile worker under the
  plan's `compile_ms`, the largest of the packages sharing the artifact) after reading the
  package again exactly as a start does (engine.runtime.artifact: the digest is verified, so
  nothing but what a plan approved is compiled).
- At most `parallel` jobs run at a time (default: one per CPU), each with one compile worker.
  A start that needs an artifact whose job is queued or running waits for that job (which goes
  first), never compiles it a second time (WasmEngine.load).
- A cached artifact costs a MAC check of its entry, no compile.
- A job that fails reports the fault for each of its packages, and the engine keeps it: the
  next start of each of those packages fails with that very fault, as if its own compile had
  failed (then its restart policy applies), instead of compiling again at once.
- `stop()` ends the jobs nobody waits for (EOF of `serve`: queued ones are dropped, running ones
  have their worker killed); `close()` ends all of them and waits for their threads, so no
  thread is left writing the cache.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.plan import Plan
from engine.runtime.compiler import Cancel
from engine.runtime.errors import RuntimeFault

Key = tuple[str, str]  # (kind, sha256) of an artifact


def default_parallel() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(eq=False)
class _Job:
    key: Key
    plans: list[Plan]
    order: int
    cancel: Cancel = field(default_factory=Cancel)
    wanted: int = 0  # starts waiting for this job right now
    state: str = "queued"  # queued -> running -> done
    done: threading.Event = field(default_factory=threading.Event)


class Precompiler:
    """The background compiles of one registry. `engine()` gives its WasmEngine (its
    `has_compiled` and `precompile`); it is first asked in a worker thread, so a host's startup
    does not wait for wasmtime to load."""

    def __init__(self, engine: Callable[[], Any]) -> None:
        self._engine = engine
        self._cond = threading.Condition()
        self._jobs: dict[Key, _Job] = {}
        self._threads: list[threading.Thread] = []
        self._results: list[dict[str, Any]] = []
        self._followers: list[Callable[[dict[str, Any]], None]] = []
        self._order = itertools.count()
        self._active = 0  # threads taking jobs
        self._stopped = False
        _LIVE.add(self)

    # ---- adding work ---------------------------------------------------------------------------

    def add(self, plans: Iterable[Plan], parallel: int | None = None) -> None:
        """Queue a job for the artifact of each plan (packages sharing an artifact share a job; a
        Service package's job first, since the host's startup waits for its start) and run them
        on up to `parallel` threads."""
        from engine.runtime.guests import artifact_kind

        ordered = sorted(plans, key=lambda plan: not plan.services)
        refused = []
        with self._cond:
            if self._stopped:
                return
            for plan in ordered:
                try:
                    key = (artifact_kind(plan), plan.artifact_sha256)
                except RuntimeFault as fault:  # a runtime no start would run: nothing to compile
                    refused.append(_failed(plan.ref, fault))
                    continue
                job = self._jobs.get(key)
                if job is not None and job.state == "queued":
                    if plan.ref not in {p.ref for p in job.plans}:
                        job.plans.append(plan)
                else:  # new, or running already (then this one finds it compiled, after it)
                    self._jobs[key] = _Job(key, [plan], next(self._order))
            queued = sum(job.state == "queued" for job in self._jobs.values())
            limit = default_parallel() if parallel is None else max(1, parallel)
            for _ in range(min(limit - self._active, queued)):
                self._active += 1
                thread = threading.Thread(target=self._work, name="yoi-precompile", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._tell(refused)

    def _next(self) -> _Job | None:
        """The next queued job (one a start waits for first, else the oldest), now running; None
        (and this thread leaves) when there is none, or only unwanted ones after `stop()`."""
        with self._cond:
            queued = [j for j in self._jobs.values() if j.state == "queued" and (j.wanted or not self._stopped)]
            if not queued:
                self._active -= 1
                return None
            job = min(queued, key=lambda job: (job.wanted == 0, job.order))
            job.state = "running"
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                results = self._run(job)
            except Exception as error:  # noqa: BLE001 - no engine (the registry closed: `stopped`), or a bug
                from engine.runtime.instance import as_fault

                results = [_failed(plan.ref, as_fault(error)) for plan in job.plans]
            self._finish(job, results)

    # ---- one job -------------------------------------------------------------------------------

    def _run(self, job: _Job) -> list[dict[str, Any]]:
        from engine.runtime.artifact import load_artifact

        kind, sha256 = job.key
        wasm = self._engine()  # RuntimeFault `stopped` once the registry is closed
        if wasm.has_compiled(sha256, kind):
            return [{"ref": plan.ref, "ok": True, "compiled": False} for plan in job.plans]
        results: list[dict[str, Any]] = []
        data = None
        owners: list[Plan] = []
        for plan in job.plans:  # the artifact is read from a package that still is what was planned
            if data is None:
                try:
                    data = load_artifact(plan)
                except RuntimeFault as fault:  # that package changed: a start of it fails the same way
                    results.append(_failed(plan.ref, fault))
                    continue
            owners.append(plan)
        if data is None:
            return results
        budget = max(plan.limits.compile_ms for plan in owners)
        started = time.monotonic()
        try:
            compiled = wasm.precompile(data, sha256, kind, budget, [p.ref for p in owners], job.cancel)
        except RuntimeFault as fault:
            return results + [_failed(plan.ref, fault) for plan in owners]
        seconds = round(time.monotonic() - started, 3)
        return results + [
            {"ref": plan.ref, "ok": True, "compiled": compiled, **({"seconds": seconds} if compiled else {})}
            for plan in owners
        ]

    def _finish(self, job: _Job, results: list[dict[str, Any]]) -> None:
        # a compile stopped because the host is leaving is no result
        self._tell([r for r in results if r["ok"] or r["error"]["kind"] != "stopped"], job)

    def _tell(self, results: list[dict[str, Any]], job: _Job | None = None) -> None:
        """Keep `results` (then `job` is done), and hand each to the followers."""
        with self._cond:
            self._results.extend(results)
            if job is not None:
                job.state = "done"
                job.done.set()
                self._cond.notify_all()
            followers = list(self._followers)
        for result in results:
            for follower in followers:
                with contextlib.suppress(Exception):  # a follower that cannot tell (stderr gone) stops nothing
                    follower(dict(result))

    # ---- starts that need a job ----------------------------------------------------------------

    def wait_for(self, key: Key) -> None:
        """If a job for `key` is queued or running, wait until it is done (it goes before the
        jobs nobody waits for, and is not stopped by `stop()`)."""
        with self._cond:
            job = self._jobs.get(key)
            if job is None or job.state == "done":
                return
            job.wanted += 1
            self._cond.notify_all()
        try:
            job.done.wait()
        finally:
            with self._cond:
                job.wanted -= 1

    def waiting(self) -> int:
        """How many starts wait for a background compile right now."""
        with self._cond:
            return sum(job.wanted for job in self._jobs.values())

    # ---- reading results -----------------------------------------------------------------------

    def results(self) -> tuple[dict[str, Any], ...]:
        """One result per package whose job is done, in the order they finished: `{ref, ok: true,
        compiled: true, seconds}` (compiled now), `{ref, ok: true, compiled: false}` (it was in
        the cache) or `{ref, ok: false, error: {kind, message}}`."""
        with self._cond:
            return tuple(dict(result) for result in self._results)

    def follow(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback` with every result: those already in, now, then each as it comes."""
        with self._cond:
            done = [dict(result) for result in self._results]
            self._followers.append(callback)
        for result in done:
            callback(result)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no job is queued or running; False when `timeout` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: all(job.state == "done" for job in self._jobs.values()), timeout=timeout)

    # ---- stopping ------------------------------------------------------------------------------

    def stop(self, everything: bool = False) -> None:
        """End the jobs nobody waits for (or, with `everything`, all of them): a queued one is
        dropped, a running one has its compile worker killed. Nothing new starts afterwards."""
        with self._cond:
            self._stopped = True
            for job in self._jobs.values():
                if job.state == "done" or (job.wanted and not everything):
                    continue
                if job.state == "queued":
                    job.state = "done"
                    job.done.set()
                else:
                    job.cancel.cancel()
            self._cond.notify_all()

    def close(self) -> None:
        """Stop every job and wait for the threads (a job being cancelled ends at once)."""
        self.stop(everything=True)
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join()


def _failed(ref: str, fault: RuntimeFault) -> dict[str, Any]:
    return {"ref": ref, "ok": False, "error": fault.to_dict()}


_LIVE: weakref.WeakSet[Precompiler] = weakref.WeakSet()


def _close_all() -> None:
    """At exit, a registry nobody closed leaves no compile running and no cache write half done."""
    for precompiler in list(_LIVE):
        precompiler.close()


atexit.register(_close_all)
