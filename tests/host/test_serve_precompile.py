"""Issue 21 point 3: `serve` compiles every planned package's artifact that is not in the
compiled-artifact cache at startup, in parallel, in the background, while it answers requests;
a compile that fails is reported for its package alone; EOF and SIGTERM end the compiles still
running at once (no compile worker left, no partial cache entry). All through a real `yoi plugin
serve` process, with real raw modules compiled by real compile workers.

On the main branch before this, a tool-only package was compiled by its first call: the cache
stayed empty until then."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from example_workspace import EXAMPLES, add_raw_package, uncompilable, write_config
from serve_client import SAFETY_TIMEOUT, send, serve
from slow_compile import compile_workers_of, processes_with_env, slow_raw_module

from engine import compiled

ECHO = (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()


def tagged(module: bytes, tag: str) -> bytes:
    """`module` with a custom section named `tag` at its end: another artifact (another sha256,
    so nothing of it is cached yet) that compiles and runs the same."""
    name = tag.encode()
    payload = bytes([len(name)]) + name
    return module + b"\x00" + bytes([len(payload)]) + payload


def cache_entry(artifact: bytes) -> Path:
    """Where the compiled form of a raw module lands (the session's YOI_CACHE, tests/conftest.py)."""
    import hashlib

    return compiled.cache_path(compiled.default_folder(), hashlib.sha256(artifact).hexdigest(), "module")


def wait_until(condition, what: str, timeout: float = SAFETY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


class Stderr:
    """serve's stderr lines, read by a thread (startup report, then one line per compile)."""

    def __init__(self, process) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, b""):
            self.lines.append(line.decode().rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def ws(tmp_path, user_home) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def packages(ws: Path, *specs: tuple[str, bytes, str]) -> dict[str, bytes]:
    """Raw tool packages `(local id, artifact, extra enablement text)` enabled in `ws`, each with
    the tool `tool_name(local id)`; returns each ref's artifact."""
    tables, artifacts = [], {}
    for local_id, artifact, extra in specs:
        ref, table = add_raw_package(ws, local_id, tool_name(local_id), artifact=artifact)
        tables.append(table + extra)
        artifacts[ref] = artifact
    write_config(ws, *tables)
    return artifacts


def tool_name(local_id: str) -> str:
    return local_id.replace(".", "_")


def call(process, ref: str, request_id) -> dict:
    tool = tool_name(ref.partition(":")[2] or ref)
    return send(process, {"id": request_id, "op": "call", "plugin": ref, "tool": tool, "input": {"n": 1}})


def stop(process) -> int:
    process.stdin.close()
    return process.wait(SAFETY_TIMEOUT)


def test_every_uncached_package_is_compiled_at_startup_before_any_call(ws):
    tag = uuid.uuid4().hex
    artifacts = packages(ws, *((f"p{n}.echo", tagged(ECHO, f"{tag}-{n}"), "") for n in range(3)))
    entries = {ref: cache_entry(artifact) for ref, artifact in artifacts.items()}
    assert not any(entry.exists() for entry in entries.values())
    process = serve(ws)
    errors = Stderr(process)
    try:
        # nothing has been asked of serve: the three compiles happen on their own, in the background
        wait_until(lambda: all(Path(f"{e}.mac").exists() for e in entries.values()), "all three are compiled")
        for number, ref in enumerate(artifacts):
            answer = call(process, ref, number)
            assert answer["ok"], answer
            status = send(process, {"id": f"s{number}", "op": "status", "plugin": ref})["result"]
            assert status["compiled_from"] == "cache"  # the first start found the native code ready
    finally:
        assert stop(process) == 0
    for ref in artifacts:
        assert any(line.startswith(f"  compiled {ref} in ") for line in errors.lines), errors.text()


def test_a_cached_package_answers_while_another_compiles_and_eof_stops_that_compile(ws, monkeypatch):
    from engine.dev.prepare import prepare

    tag = uuid.uuid4().hex
    fast, slow = tagged(ECHO, tag), tagged(slow_raw_module(functions=4), tag)
    artifacts = packages(ws, ("fast.echo", fast, ""), ("slow.compile", slow, ""))
    artifact_file = ws / "fast.wasm"
    artifact_file.write_bytes(fast)
    assert prepare(artifact_file) == "compiled"  # the cached one
    token = f"yoi-precompile-{tag}"
    monkeypatch.setenv("YOI_TEST_TOKEN", token)
    process = serve(ws, "-q")
    try:
        wait_until(lambda: compile_workers_of(process.pid), "the slow compile is running")
        answer = call(process, "fast.echo", 1)
        assert answer["ok"], answer
        assert send(process, {"id": 2, "op": "status", "plugin": "fast.echo"})["result"]["compiled_from"] == "cache"
        # answered while the other compile still runs: its worker is alive, its entry not written
        assert compile_workers_of(process.pid) and not cache_entry(slow).exists()
    finally:
        assert stop(process) == 0  # EOF: the compile nobody waits for is stopped, not waited for
    assert processes_with_env(token) == []  # no compile worker outlives serve
    assert not cache_entry(slow).exists() and not Path(f"{cache_entry(slow)}.mac").exists()
    assert not list(cache_entry(slow).parent.glob(".entry-*.tmp"))
    assert set(artifacts) == {"project:fast.echo", "project:slow.compile"}


def test_sigterm_during_a_compile_ends_it_and_leaves_nothing_behind(ws, monkeypatch):
    tag = uuid.uuid4().hex
    slow = tagged(slow_raw_module(functions=4), tag)
    packages(ws, ("slow.compile", slow, ""))
    token = f"yoi-precompile-{tag}"
    monkeypatch.setenv("YOI_TEST_TOKEN", token)
    process = serve(ws, "-q")
    try:
        wait_until(lambda: compile_workers_of(process.pid), "the slow compile is running")
        process.send_signal(signal.SIGTERM)
        assert process.wait(SAFETY_TIMEOUT) == -signal.SIGTERM  # the exit status SIGTERM always gave
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Traceback" not in process.stderr.read()
    assert processes_with_env(token) == []
    assert not cache_entry(slow).exists() and not list(cache_entry(slow).parent.glob(".entry-*.tmp"))


def test_a_failed_compile_is_reported_and_fails_only_its_package(ws):
    tag = uuid.uuid4().hex
    good, broken = tagged(ECHO, tag), tagged(uncompilable(ECHO), tag)
    over_budget = tagged(slow_raw_module(functions=1), tag)
    packages(ws, ("good.echo", good, ""), ("broken.echo", broken, ""),
             ("slow.compile", over_budget, "\n[plugins.enabled.limits]\ncompile_ms = 200\n"))
    process = serve(ws)
    errors = Stderr(process)
    try:
        wait_until(lambda: sum(line.startswith("  compile failed ") for line in errors.lines) == 2,
                   "both failures are reported")
        text = errors.text()
        assert "  compile failed project:broken.echo: load: " in text
        assert ("  compile failed project:slow.compile: timeout: compiling the module exceeded its compile budget "
                "of 200 ms (`[plugins.enabled.limits] compile_ms`); the compiler process was stopped") in text
        assert f"  compiled project:good.echo in " in text
        assert call(process, "good.echo", 1)["ok"]
        # each failed package's calls fail as its own compile's failure would have made them fail
        broken_answer = call(process, "broken.echo", 2)
        assert broken_answer["error"]["kind"] == "load"
        assert broken_answer["error"]["message"].startswith("plugin instance startup failed closed: WASM module error:")
        slow_answer = call(process, "slow.compile", 3)
        assert slow_answer["error"]["kind"] == "timeout"
        assert "exceeded its compile budget of 200 ms" in slow_answer["error"]["message"]
        assert call(process, "good.echo", 4)["ok"]
        status = send(process, {"id": 5, "op": "status", "plugin": "broken.echo"})["result"]
        assert status["lifecycle"] == "Failed"
    finally:
        assert stop(process) == 0
    assert not cache_entry(broken).exists() and not cache_entry(over_budget).exists()


def test_no_precompile_keeps_compiles_lazy(ws):
    """`--no-precompile` is the old behaviour: the first call compiles (the bench's baseline)."""
    artifact = tagged(ECHO, uuid.uuid4().hex)
    packages(ws, ("lazy.echo", artifact, ""))
    process = serve(ws, "-q", "--no-precompile")
    try:
        assert send(process, {"id": 1, "op": "tools"})["ok"]
        assert not cache_entry(artifact).exists()
        assert call(process, "lazy.echo", 2)["ok"]
        assert send(process, {"id": 3, "op": "status", "plugin": "lazy.echo"})["result"]["compiled_from"] == "compile"
    finally:
        assert stop(process) == 0
    assert cache_entry(artifact).exists()
    assert os.environ.get("YOI_CACHE")
