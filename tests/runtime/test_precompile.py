"""Issue 21 point 3, in process: `PluginInstanceRegistry.precompile` compiles the planned
artifacts into the cache in the background, once per artifact, at most `parallel` at a time; a
start that needs an artifact waits for its compile (which then goes first) instead of compiling
it again; a failed compile is the fault of each of its packages' next start; `stop()` ends the
compiles nobody waits for. Real components and modules, real compile workers: the `compiles`
fixture only counts each compile and can hold it at its start."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from example_workspace import uncompilable
from runtime_guests import LIFECYCLE_OK, build, fault_of, instance_wat, package_plan
from slow_compile import slow_raw_module

from engine.host.services import start_services
from engine.runtime import HostConfig

WAIT = 120


def guest(tag: str) -> bytes:
    """An instance component of its own (its start reply names `tag`), so its own artifact."""
    return bytes(build(instance_wat(start=("", LIFECYCLE_OK.replace('"data":{', f'"data":{{"tag":"{tag}",')))))


class Compiles:
    """Every compile started in a worker, in order (by artifact size and first bytes), and a gate
    that holds each one at its start while it is closed."""

    def __init__(self) -> None:
        self.started: list[bytes] = []
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Condition()

    def wait_started(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.started) >= count, timeout=WAIT)


def wait_for_waiters(precompile, count: int) -> None:
    """Until `count` starts wait for background compiles."""
    deadline = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if precompile.waiting() >= count:
            return
        deadline.wait(0.01)
    raise AssertionError("no start waits for a background compile")


@pytest.fixture
def compiles(monkeypatch) -> Compiles:
    from engine.runtime import compiler

    real = compiler.compile_serialized
    log = Compiles()

    def counted(data, kind, budget_ms, what, cancel=None):
        with log.arrived:
            log.started.append(bytes(data))
            log.arrived.notify_all()
        assert log.gate.wait(WAIT)
        return real(data, kind, budget_ms, what, cancel)

    monkeypatch.setattr(compiler, "compile_serialized", counted)
    return log


def test_packages_sharing_an_artifact_are_compiled_once(make_registry, tmp_path, compiles):
    artifact = guest("shared")
    first, second = (package_plan(tmp_path / name, artifact) for name in ("first", "second"))
    registry = make_registry([first, second])
    precompile = registry.precompile()
    assert precompile.wait(WAIT)
    results = sorted(precompile.results(), key=lambda result: result["ref"])
    assert [(r["ref"], r["ok"], r["compiled"]) for r in results] == [
        ("project:first", True, True), ("project:second", True, True)]
    assert compiles.started == [artifact]
    for plan in (first, second):
        assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
        assert registry.status(plan.ref)["compiled_from"] in ("cache", "memory")
    assert compiles.started == [artifact]  # the starts compiled nothing


def test_a_cached_artifact_is_not_compiled_again(make_registry, tmp_path, compiles):
    plan = package_plan(tmp_path / "p", guest("cached"))
    assert make_registry([plan]).precompile().wait(WAIT)
    again = make_registry([plan]).precompile()
    assert again.wait(WAIT)
    assert again.results() == ({"ref": plan.ref, "ok": True, "compiled": False},)
    assert len(compiles.started) == 1


def test_a_service_start_waits_for_the_background_compile_of_its_artifact(make_registry, tmp_path, compiles):
    service = package_plan(tmp_path / "svc", guest("svc"), services=("svc",))
    registry = make_registry([service])
    compiles.gate.clear()
    precompile = registry.precompile()
    compiles.wait_started(1)  # the background compile holds the artifact
    started: list = []
    starter = threading.Thread(target=lambda: started.extend(start_services(registry, [service])))
    starter.start()
    wait_for_waiters(precompile, 1)
    assert starter.is_alive() and len(compiles.started) == 1  # waiting, not compiling it again
    compiles.gate.set()
    starter.join(WAIT)
    assert started == [{"ref": service.ref, "ok": True, "lifecycle": "Started", "services": ["svc"]}]
    assert len(compiles.started) == 1
    assert registry.status(service.ref)["compiled_from"] == "cache"


def test_a_start_goes_before_the_compiles_nobody_waits_for(make_registry, tmp_path, compiles):
    artifacts = {name: guest(name) for name in ("a", "b", "c")}
    plans = [package_plan(tmp_path / name, artifact) for name, artifact in artifacts.items()]
    registry = make_registry(plans)
    compiles.gate.clear()
    precompile = registry.precompile(parallel=1)
    compiles.wait_started(1)  # a holds the one compile slot; b and c are queued
    caller = threading.Thread(target=registry.start, args=(plans[2].ref,))
    caller.start()
    wait_for_waiters(precompile, 1)  # c is wanted now
    compiles.gate.set()
    caller.join(WAIT)
    assert precompile.wait(WAIT)
    names = {artifact: name for name, artifact in artifacts.items()}
    assert [names[data] for data in compiles.started] == ["a", "c", "b"]
    assert registry.status(plans[2].ref)["compiled_from"] == "cache"


def test_a_failed_compile_is_the_fault_of_each_of_its_packages_next_start(make_registry, tmp_path, compiles):
    broken = uncompilable(slow_raw_module(ifs=1, functions=1))
    plans = [package_plan(tmp_path / name, broken, runtime="raw") for name in ("x", "y")]
    registry = make_registry(plans)
    precompile = registry.precompile()
    assert precompile.wait(WAIT)
    failures = {r["ref"]: r["error"] for r in precompile.results()}
    assert set(failures) == {"project:x", "project:y"} and failures["project:x"]["kind"] == "load"
    assert len(compiles.started) == 1
    faults = [fault_of(registry.start, plan.ref) for plan in plans]
    assert len(compiles.started) == 1  # the kept fault, not a second compile
    lazy = fault_of(make_registry([replace(plans[0])], host=HostConfig(cache_dir=tmp_path / "other")).start,
                    plans[0].ref)
    assert len(compiles.started) == 2  # without the background compile, the start compiles
    assert [(f.kind, f.message) for f in faults] == [(lazy.kind, lazy.message)] * 2
    assert failures["project:x"]["message"] in lazy.message


def test_a_budget_overrun_in_the_background_is_kept_too(make_registry, tmp_path):
    slow = package_plan(tmp_path / "slow", slow_raw_module(), runtime="raw")
    slow = replace(slow, limits=replace(slow.limits, compile_ms=200))
    registry = make_registry([slow])
    precompile = registry.precompile()
    assert precompile.wait(WAIT)
    (result,) = precompile.results()
    assert result["error"]["kind"] == "timeout" and "compile budget of 200 ms" in result["error"]["message"]
    fault = fault_of(registry.start, slow.ref)
    assert fault.kind == "timeout" and result["error"]["message"] in fault.message
    assert not list((tmp_path / "compiled").glob("*.cwasm"))


def test_stop_ends_the_compiles_nobody_waits_for(make_registry, tmp_path, compiles):
    idle, wanted = package_plan(tmp_path / "idle", guest("idle")), package_plan(tmp_path / "wanted", guest("wanted"))
    registry = make_registry([idle, wanted])
    compiles.gate.clear()
    precompile = registry.precompile(parallel=2)
    compiles.wait_started(2)
    caller = threading.Thread(target=registry.start, args=(wanted.ref,))
    caller.start()
    wait_for_waiters(precompile, 1)
    registry.stop_background_compiles()  # what serve does at EOF
    compiles.gate.set()
    caller.join(WAIT)
    assert precompile.wait(WAIT)
    (result,) = precompile.results()  # the stopped compile has no result
    assert result["ref"] == wanted.ref and result["ok"] and result["compiled"]
    assert registry.status(wanted.ref)["compiled_from"] == "cache"
    registry.start(idle.ref)  # stopped in the background, so its start compiles it
    assert registry.status(idle.ref)["compiled_from"] == "compile"


def test_without_a_cache_the_background_compile_is_kept_in_memory(make_registry, tmp_path, compiles):
    plan = package_plan(tmp_path / "p", guest("memory"))
    registry = make_registry([plan], host=HostConfig(use_cache=False))
    assert registry.precompile().wait(WAIT)
    registry.start(plan.ref)
    assert registry.status(plan.ref)["compiled_from"] == "memory" and len(compiles.started) == 1


def test_close_ends_a_compile_in_progress_and_starts_nothing_new(make_registry, tmp_path):
    from slow_compile import compile_workers_of

    from engine.runtime.compiler import close_idle

    close_idle()
    slow = package_plan(tmp_path / "slow", slow_raw_module(functions=4), runtime="raw")
    registry = make_registry([slow])
    precompile = registry.precompile()
    pause = threading.Event()
    for _ in range(int(WAIT / 0.05)):
        if compile_workers_of():
            break
        pause.wait(0.05)
    registry.close()
    assert precompile.wait(0) and precompile.results() == ()  # stopped: no result, no entry
    assert fault_of(registry.start, slow.ref).kind == "stopped"
    assert not list((tmp_path / "compiled").glob("*.cwasm")) and not list((tmp_path / "compiled").glob(".entry-*"))
    close_idle()
    assert compile_workers_of() == []
