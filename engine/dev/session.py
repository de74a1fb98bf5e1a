"""`yoi plugin dev DIR` and `yoi plugin call DIR ...`: run a package folder while writing it.

A development load is: build the artifact if its sources changed (the build record says), read
the folder as a package, make a development enablement in memory from what the manifest requests
(host APIs only where a `--allow-*` flag opened them, engine/dev/grants.py), and judge
it with the built-in rules and any `--policy` folders exactly as a host judges a written
enablement: the same evaluation, the same startup report, plans only (DESIGN decision 2). The
enablement is never written anywhere, so `check`, `list` and `show` never see it; every line dev
prints is marked `[dev]`, every JSON answer carries `"dev": true`.

`DevServer` keeps one load alive behind `serve`'s JSON-lines protocol and reloads it when the
package folder changes (polled with stat; no file-watching dependency): the instance's state goes
with the old load. A build that fails keeps the previous load serving.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.authoring import record
from engine.authoring.sources import BuildError, NoSource, walk
from engine.diagnostics import bound_text, escape_text
from engine.errors import EngineError, ErrorKind

DEV_MARK = "[dev]"
DEFAULT_POLL_S = 0.3


class DevError(EngineError):
    """A development load that could not be made: the folder is not a package that can be read."""

    error_kind = ErrorKind.INPUT


@dataclass
class DevLoad:
    """One load of the folder: its startup report (with a registry) and how long it took."""

    report: Any  # engine.host.startup.StartedHost: the startup report and its live registry
    ref: str
    artifact: str | None  # the manifest's artifact path (what a build writes, with its record)
    build: str  # built | up to date | no source (a prebuilt artifact, served as it is)
    build_s: float
    judge_s: float  # reading the folder, the rules, the plan
    compile_s: float  # compiling the planned artifact into the compiled-artifact cache (if not there)
    start_s: float  # starting the instance from the cache
    language: str | None
    hints: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.report.registry.close()


def _language(folder: Path, artifact: str | None) -> str | None:
    """The language the artifact was built from, as its build record says (None without one)."""
    document = record.read(folder / record.record_path(artifact)) if artifact else None
    return document.get("language") if document else None


def _build(folder: str, timeout: float) -> tuple[str, float]:
    """Build when the sources changed; a folder with no source is served as it is. Returns
    (state, seconds)."""
    from engine.authoring.build import build_if_changed

    started = time.perf_counter()
    try:
        result = build_if_changed(folder, timeout)
    except NoSource:
        return "no source", 0.0
    return ("built" if result.built else "up to date"), time.perf_counter() - started


def enablement_for(package, allowed: dict[str, tuple[Any, ...]], language: str | None):
    """The development enablement: everything the manifest requests, bound to this digest."""
    from engine.authoring.python_build import GUEST_LIMITS
    from engine.dev.grants import dev_grants
    from engine.grants.model import Enablement, EnablementConfig

    manifest = package.manifest
    ref = f"project:{manifest.id}"
    enablement = Enablement(
        id=ref,
        version=manifest.version,
        digest=package.digest,
        surfaces=tuple(manifest.declared_surfaces()),
        grants=dev_grants(ref, manifest, package.digest, allowed),
        limits=GUEST_LIMITS if language == "python" else (),
    )
    return EnablementConfig(enabled=(enablement,), file=None)


def load(
    folder: str,
    allowed: dict[str, tuple[Any, ...]],
    policy_dirs=(),
    timeout: float = 600.0,
    host=None,
) -> DevLoad:
    """Build if needed, then judge and plan the folder under a development enablement; raises
    BuildError (the build failed) or DevError (nothing that can be loaded)."""
    from engine.dev.grants import closed_apis
    from engine.dev.prepare import prepare
    from engine.diagnostics import DiagnosticError
    from engine.grants.model import HostSettings
    from engine.host.startup import StartedHost, startup_report
    from engine.package.materialize import load_package_path
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.subjects import check_subject
    from engine.runtime import HostConfig, PluginInstanceRegistry, RuntimeFault
    from engine.verdict.build import build_verdict

    root = os.path.abspath(folder)
    build, build_s = _build(root, timeout)
    started = time.perf_counter()
    try:
        package = load_package_path(root, source="project")
    except DiagnosticError as error:
        raise DevError(f"the package folder cannot be loaded: {error.diagnostics[0].message}") from None
    runtime = package.manifest.runtime
    language = _language(Path(root), runtime.artifact_path if runtime else None)
    config = enablement_for(package, allowed, language)
    verdict = build_verdict(evaluate([check_subject(root, config, package)], policy_dirs=policy_dirs))
    report = startup_report(verdict, f"dev:{root}", HostSettings())
    # What a host protects, and the package folder itself: a plugin never rewrites its own sources
    # (which dev would build and run) whatever its fs grant.
    host = host or HostConfig()
    host = replace(host, protected_paths=(*host.protected_paths, *report.protected_paths, root))
    host_started = StartedHost(report, PluginInstanceRegistry(report.plans, host=host))
    ref = config.enabled[0].id
    hints = [f"warn: {f.text}" for p in verdict.packages if p.ref == ref for f in p.findings_of("warn")]
    hints += [
        f"host API {flag.api} is closed: open it with {flag.option} {flag.metavar}"
        for flag in closed_apis(package.manifest, allowed)
    ]
    judged = time.perf_counter()
    compile_s = start_s = 0.0
    plan = next((p for p in report.plans if p.ref == ref), None)
    if plan is not None:  # only what the rules planned is compiled, as at a host's startup
        # timed apart from the start (a fresh 18 MB guest takes seconds), under the plan's compile budget
        prepare(Path(root) / plan.artifact_path, plan.limits.compile_ms)
        compiled = time.perf_counter()
        compile_s = compiled - judged
        try:
            host_started.registry.start(ref)  # the next call is fast, and a start failure shows at once
        except RuntimeFault as fault:
            hints.append(f"{ref} did not start: {fault.kind}: {fault.message}")
        start_s = time.perf_counter() - compiled
    artifact = runtime.artifact_path if runtime else None
    return DevLoad(host_started, ref, artifact, build, build_s, judged - started, compile_s, start_s, language, hints)


def render(loaded: DevLoad) -> list[str]:
    """The startup report, hints and timing, every line marked as development."""
    lines = [f"{DEV_MARK} {line}" for line in loaded.report.render().splitlines()]
    lines += [f"{DEV_MARK} {escape_text(bound_text(hint, 1000))}" for hint in loaded.hints]  # guest text
    return [*lines, timing(loaded)]


def timing(loaded: DevLoad) -> str:
    """Where the load's time went: the build, then the host's part (judge, compile, start)."""
    built = f"build {loaded.build_s:.2f} s" if loaded.build == "built" else f"build {loaded.build}"
    return (
        f"{DEV_MARK} loaded {loaded.ref} ({built}, judge {loaded.judge_s:.2f} s, compile {loaded.compile_s:.2f} s, "
        f"start {loaded.start_s:.2f} s)"
    )


# ---- watching ----------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int, int, int]]:
    """Relative path -> (mtime_ns, size, inode, mode) of everything in the package folder (bounded
    like a build's walk: sorted, `__pycache__` skipped, at most MAX_ENTRIES entries)."""
    found = {}
    try:
        for name, entry in walk(folder, "the package folder"):
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[name] = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_mode)
    except BuildError:
        return {"<unreadable>": (0, 0, 0, 0)}
    return found


class DevServer:
    """One development load behind the JSON-lines protocol, reloaded when the folder changes."""

    def __init__(
        self,
        folder: str,
        allowed: dict[str, tuple[Any, ...]],
        policy_dirs=(),
        timeout: float = 600.0,
        note: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.folder = Path(os.path.abspath(folder))
        self.allowed, self.policy_dirs, self.timeout, self.note = allowed, tuple(policy_dirs), timeout, note
        self.lock = threading.RLock()  # the current load: swapped and used under it
        self._reloading = threading.Lock()
        self.loaded: DevLoad | None = None
        self.loop: Any = None
        self.baseline: dict[str, tuple[int, int, int, int]] = {}
        self.generation = 0
        self.failure: BuildError | DevError | None = None  # why the last reload failed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- loading --

    def reload(self, reason: str = "start") -> bool:
        """Build if needed and load again (one reload at a time); on failure the previous load
        keeps serving."""
        with self._reloading:
            return self._reload(reason)

    def _reload(self, reason: str) -> bool:
        from engine.host.serve import ServeLoop

        before = snapshot(self.folder)
        try:  # the previous load keeps answering while this one builds, compiles and starts
            loaded = load(str(self.folder), self.allowed, self.policy_dirs, self.timeout)
        except (BuildError, DevError) as error:
            self.failure = error
            kept = "; the previous load keeps serving" if self.loaded else ""
            self.note(f"{DEV_MARK} {reason}: {escape_text(bound_text(str(error), 1000))}{kept}")
            self.baseline = before
            return False
        with self.lock:
            previous, self.loaded = self.loaded, loaded
            self.loop = ServeLoop(loaded.report.report, loaded.report.registry)
            self.generation += 1
            if previous is not None:
                previous.close()
        after = snapshot(self.folder)
        own = {loaded.artifact, record.record_path(loaded.artifact)} if loaded.artifact else set()
        others = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} - own
        self.baseline = after if not others else before  # an edit during the build: load again
        for line in render(loaded):
            self.note(line)
        return True

    def respond(self, line: bytes | None) -> dict[str, Any]:
        """serve's answer to one request line, marked `"dev": true`."""
        with self.lock:
            if self.loop is None:
                answer = {"id": None, "ok": False, "error": {"kind": "denied", "message": "nothing is loaded"}}
            else:
                answer = self.loop.respond(line)
        answer["dev"] = True
        return answer

    # -- watching --

    def changed(self) -> bool:
        """True when the folder differs from the baseline and has stayed the same for one poll
        (an editor's save may take several writes)."""
        first = snapshot(self.folder)
        if first == self.baseline:
            return False
        time.sleep(DEFAULT_POLL_S / 2)
        return snapshot(self.folder) == first

    def watch(self, interval: float = DEFAULT_POLL_S) -> None:
        """Poll in a daemon thread until `close`."""

        def run() -> None:
            while not self._stop.wait(interval):
                if self.changed():
                    self.note(f"{DEV_MARK} change in {escape_text(self.folder.name)}: reloading")
                    self.reload("reload")

        self._thread = threading.Thread(target=run, name="yoi-dev-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.timeout + 5)
        with self.lock:
            if self.loaded is not None:
                self.loaded.close()
                self.loaded = None
