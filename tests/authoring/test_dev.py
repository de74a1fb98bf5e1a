"""`yoi plugin dev DIR` and `yoi plugin call DIR`: a package folder served under an in-memory
development enablement, judged by the rules, rebuilt and reloaded when it changes, every line
marked as development. Real subprocesses: a pseudo-terminal for the interactive prompt, pipes for
the JSON-lines protocol."""

from __future__ import annotations

import json
import os
import pty
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hostapi_guests import component_guest

from engine.authoring.new import create
from engine.cli.plugin_run import package_folder
from example_workspace import ROOT, yoi
from runtime_guests import build

SAFETY_TIMEOUT = 120
COUNT_STEP = "(global.set $count (i32.add (global.get $count) (i32.const 1)))"
YOI = [sys.executable, "-c", "from engine.cli.main import main; main()"]


def wat_instance(folder: Path, plugin_id: str = "acme.dev") -> Path:
    create("wat-instance", str(folder), plugin_id)
    return folder


def edit_step(folder: Path, step: int) -> None:
    """Make the tool count by `step` (a real edit of the WAT source)."""
    wat = folder / "src" / "plugin.component.wat"
    text = wat.read_text()
    assert text.count(COUNT_STEP) == 1
    wat.write_text(text.replace(COUNT_STEP, COUNT_STEP.replace("(i32.const 1)", f"(i32.const {step})")))


class Terminal:
    """`yoi plugin dev` on a pseudo-terminal: what a person at a shell sees and types."""

    def __init__(self, folder: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([*YOI, "plugin", "dev", str(folder), "--poll", "0.1"], stdin=slave,
                                        stdout=slave, stderr=slave, cwd=ROOT, close_fds=True, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def expect(self, text: str) -> str:
        """Everything up to and including `text` (bounded wait)."""
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while text.encode() not in self.seen:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"waited for {text!r}; the terminal shows: {self.seen.decode(errors='replace')[-1500:]}"
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                break
        cut = self.seen.index(text.encode()) + len(text)
        shown, self.seen = self.seen[:cut], self.seen[cut:]
        return shown.decode(errors="replace")

    def type(self, line: str) -> str:
        os.write(self.master, line.encode() + b"\n")
        return self.expect("yoi dev> ")

    def close(self) -> int:
        os.close(self.master)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def answers(text: str) -> list[dict]:
    return [json.loads(line) for line in text.replace("\r", "").splitlines() if line.startswith("{")]


def test_dev_on_a_terminal_calls_reloads_an_edited_wat_and_calls_again(tmp_path):
    folder = wat_instance(tmp_path / "counter")
    terminal = Terminal(folder)
    try:
        started = terminal.expect("yoi dev> ")
        assert "[dev] loaded project:acme.dev (build" in started  # the placeholder was built first
        assert "[dev] yoi plugin host: 1 plugin package(s) planned, 0 refused" in started
        first = answers(terminal.type("call acme_dev_count {}"))
        assert first == [{"id": "call", "ok": True, "dev": True,
                          "result": {"summary": "counter is at 1", "content": '{"count":1}'}}]
        assert answers(terminal.type("call acme_dev_count"))[0]["result"]["summary"] == "counter is at 2"

        edit_step(folder, 10)
        reloaded = terminal.expect("[dev] loaded project:acme.dev")
        assert "[dev] change in counter: reloading" in reloaded
        terminal.expect("yoi dev> ")
        second = answers(terminal.type("call acme_dev_count {}"))  # a new instance: its state starts again
        assert second[0]["result"] == {"summary": "counter is at 10", "content": '{"count":10}'}
        status = answers(terminal.type("status"))[0]
        assert status["dev"] is True and status["result"]["lifecycle"] == "Started"
        assert status["result"]["component_status"]["data"] == {"count": 10, "events": 0}
        event = '{"kind":"example","source":"pty","payload":{}}'
        assert answers(terminal.type(f"ingress acme_dev_events {event}"))[0]["result"]["accepted"] is True
        assert "[dev] unknown command `bogus`" in terminal.type("bogus")
        assert "[dev] usage: ingress NAME JSON" in terminal.type("ingress acme_dev_events")
        os.write(terminal.master, b"quit\n")
        assert terminal.process.wait(timeout=30) == 0
    finally:
        terminal.close()


class Pipes:
    """`yoi plugin dev` driven by a program: JSON lines on stdin/stdout, notes on stderr."""

    def __init__(self, folder: Path, *extra: str, cwd: Path = ROOT) -> None:
        self.process = subprocess.Popen([*YOI, "plugin", "dev", str(folder), "--poll", "0.1", *extra],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        self.notes: queue.Queue[str] = queue.Queue()
        self.all_notes: list[str] = []
        threading.Thread(target=self._read_notes, daemon=True).start()

    def _read_notes(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.all_notes.append(line)
            self.notes.put(line)

    def note(self, text: str) -> str:
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while True:
            line = self.notes.get(timeout=max(0.01, deadline - time.monotonic()))
            if text in line:
                return line

    def send(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], SAFETY_TIMEOUT)
        assert ready, "no answer from dev"
        return json.loads(self.process.stdout.readline())

    def close(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        return code


def call(tool: str = "acme_dev_count") -> dict:
    return {"id": 1, "op": "call", "plugin": "acme.dev", "tool": tool, "input": {}}


def test_dev_speaks_serves_protocol_keeps_serving_through_a_failed_build_and_writes_no_config(tmp_path, user_home):
    workspace = tmp_path / "ws"
    folder = wat_instance(workspace / "counter")
    session = Pipes(folder, cwd=workspace)
    session.note("[dev] loaded project:acme.dev")
    assert session.send(call()) == {"id": 1, "ok": True, "dev": True,
                                    "result": {"summary": "counter is at 1", "content": '{"count":1}'}}
    bad = session.send({"id": 2, "op": "call", "plugin": "acme.dev"})  # serve's own checks, marked too
    assert bad["ok"] is False and bad["error"]["kind"] == "invalid_request" and bad["dev"] is True

    wat = folder / "src" / "plugin.component.wat"
    good = wat.read_text()
    wat.write_text(good.replace("(component", "(component (", 1))  # does not assemble
    failed = session.note("[dev] reload:")
    assert "does not assemble" in failed and "the previous load keeps serving" in failed
    assert session.send(call())["result"]["summary"] == "counter is at 2"  # same instance, state kept

    wat.write_text(good)
    session.note("[dev] loaded project:acme.dev")
    assert session.send(call())["result"]["summary"] == "counter is at 1"  # reloaded: a fresh instance
    assert session.close() == 0
    assert session.all_notes and all(line.startswith("[dev] ") for line in session.all_notes)

    # the development enablement was never written, and no review command takes it for real
    assert not (workspace / ".yoi").exists()
    listed = yoi("plugin", "list", "--workspace", str(workspace), "--json")
    assert listed.returncode == 0
    assert [i["reference"] for i in json.loads(listed.stdout)["items"] if i["configured"]] == []
    assert not [i for i in json.loads(listed.stdout)["items"] if "acme.dev" in i["reference"]]


def test_call_dir_builds_only_when_the_sources_changed(tmp_path):
    folder = wat_instance(tmp_path / "counter")
    first = yoi("plugin", "call", str(folder), "acme_dev_count")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"summary": "counter is at 1", "content": '{"count":1}', "dev": True}
    assert all(line.startswith("[dev] ") for line in first.stderr.splitlines())
    record = (folder / "plugin.component.wasm.build.json").read_bytes()

    again = yoi("plugin", "call", str(folder), "acme_dev_count")
    assert "(build up to date," in again.stderr and json.loads(again.stdout)["summary"] == "counter is at 1"
    assert (folder / "plugin.component.wasm.build.json").read_bytes() == record

    edit_step(folder, 5)
    rebuilt = yoi("plugin", "call", str(folder), "acme_dev_count", "-q")
    assert rebuilt.stderr == "" and json.loads(rebuilt.stdout)["summary"] == "counter is at 5"
    event = '{"kind":"example","source":"cli","payload":{}}'
    delivered = yoi("plugin", "ingress", str(folder), "acme_dev_events", "--event", event, "-q")
    assert json.loads(delivered.stdout)["accepted"] is True and json.loads(delivered.stdout)["dev"] is True


FS_MANIFEST = """schema_version = 1
id = "acme.files"
name = "Files"
version = "0.1.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "read" },
  { kind = "tool", name = "write" },
  { kind = "host_api", api = "fs" },
]

[runtime]
kind = "wasm-component"
component = "guest.component.wasm"
world = "yoi:plugin/instance@1.0.0"

[[tools]]
name = "read"
description = "Read a file."
input_schema = { type = "object" }

[[tools]]
name = "write"
description = "Write a file."
input_schema = { type = "object" }
external_write = false
"""


@pytest.fixture
def files_package(tmp_path) -> Path:
    """A prebuilt package (no source: served as it is) whose tools call the fs host API."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "plugin.toml").write_text(FS_MANIFEST)
    (folder / "guest.component.wasm").write_bytes(build(component_guest(("fs",))))
    data = tmp_path / "data"
    data.mkdir()
    (data / "note.txt").write_text("hello from the host")
    return folder


def test_host_apis_stay_closed_unless_a_flag_opens_them_and_the_rules_judge_the_flag(files_package, tmp_path):
    data = tmp_path / "data"
    read = ["plugin", "call", str(files_package), "read", "--input", '{"path":"note.txt"}']
    closed = yoi(*read)
    assert closed.returncode == 1
    assert "[dev] host API fs is closed: open it with --allow-fs ROOT[:ops]" in closed.stderr
    assert "[dev]     reason: granted host_api.fs permission is missing" in closed.stderr
    assert "(build no source, judge" in closed.stderr  # a prebuilt artifact is served as it is
    assert "compile 0.00 s, start 0.00 s)" in closed.stderr  # refused: nothing compiled or started

    opened = yoi(*read, "--allow-fs", f"{data}:read")
    assert opened.returncode == 0, opened.stderr
    assert json.loads(json.loads(opened.stdout)["content"])["content"] == "hello from the host"
    assert "warn:" not in opened.stderr

    # a write grant through a relative, symlinked spelling: resolved to the real folder, and warned about
    (tmp_path / "link").symlink_to(data)
    write = subprocess.run([*YOI, "plugin", "call", str(files_package), "write", "--input",
                            '{"path":"new.txt","content":"x"}', "--allow-fs", "link:write"],
                           capture_output=True, text=True, timeout=SAFETY_TIMEOUT, cwd=tmp_path)
    assert write.returncode == 0, write.stderr
    assert f"[dev] warn: fs grant lets the plugin write files under `{data.resolve()}`" in write.stderr
    assert (data / "new.txt").read_text() == "x"

    # the package folder is protected like a store: a plugin never rewrites the sources dev builds
    own = yoi("plugin", "call", str(files_package), "write", "--input", '{"path":"files/plugin.toml","content":"x"}',
              "--allow-fs", f"{tmp_path}:write")
    assert "is a protected host path" in own.stdout + own.stderr
    assert (files_package / "plugin.toml").read_text() == FS_MANIFEST

    # an org policy sees the development grant like any other, and can refuse it
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('deny no_dev_writes(P) "no fs writes in this org" :- fs_grant(P, _, "write").\n')
    refused = yoi("plugin", "call", str(files_package), "write", "--input", "{}", "--allow-fs", f"{data}:write",
                  "--policy", str(policy))
    assert refused.returncode == 1 and "no fs writes in this org" in refused.stderr


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("{missing}:read", "is not a folder"),
        ("{data}:read,delete", "unknown fs operation `delete`"),
        (":read", "the root folder is empty"),
    ],
)
def test_bad_allow_values_are_usage_errors(files_package, tmp_path, value, words):
    result = yoi("plugin", "call", str(files_package), "read", "--allow-fs",
                 value.format(missing=tmp_path / "missing", data=tmp_path / "data"))
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_allow_values_parse_as_documented(tmp_path):
    from engine.dev.grants import AllowError, allow_flags, parse_allowed
    from engine.grants.model import FsGrant, HttpsGrant

    odd = tmp_path / "a:b"
    odd.mkdir()
    assert FsGrant.from_flag(f"{odd}:read") == FsGrant(str(odd), ("read",))
    assert FsGrant.from_flag(str(tmp_path)).operations == ("read", "list")
    with pytest.raises(AllowError, match="--allow-fs: unknown fs operation `b`"):
        parse_allowed({"fs": [str(odd)]})  # a root with `:` must be written with its operations
    grant = HttpsGrant.from_flag("https://api.example.org/v1:GET,POST")
    assert (grant.host, grant.methods, grant.path_prefixes) == ("api.example.org", ("GET", "POST"), ("/v1",))
    assert HttpsGrant.from_flag("https://api.example.org:8443").methods == ("GET",)
    assert HttpsGrant.from_flag("https://api.example.org/").path_prefixes == ()
    for bad in ("http://api.example.org", "https://user:pw@h/x", "https://h/x?q=1", "api.example.org", "https://[x"):
        with pytest.raises(AllowError, match="--allow-https: "):
            parse_allowed({"https": [bad]})
    # the flags are the registry's: one per host API whose grant record has a command-line spelling
    assert [flag.option for flag in allow_flags()] == ["--allow-https", "--allow-request", "--allow-websocket", "--allow-fs"]


def test_a_folder_is_a_package_only_when_it_holds_a_manifest_and_refs_are_never_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wat_instance(tmp_path / "acme.dev")
    (tmp_path / "project:acme.dev").mkdir()
    (tmp_path / "project:acme.dev" / "plugin.toml").write_text("")
    (tmp_path / "empty").mkdir()
    assert package_folder("acme.dev") and package_folder(str(tmp_path / "acme.dev"))
    assert not package_folder("project:acme.dev")  # a source-qualified ref, whatever the folder holds
    assert not package_folder("empty") and not package_folder("missing") and not package_folder("a\0b")


def test_dev_refuses_what_it_cannot_serve_with_exit_2_and_no_traceback(tmp_path):
    folder = wat_instance(tmp_path / "counter")
    (tmp_path / "link").symlink_to(folder)
    for target in (tmp_path / "missing", tmp_path / "link", tmp_path):  # tmp_path: no plugin.toml
        result = yoi("plugin", "dev", str(target), stdin="")
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr and "nothing to serve" in result.stderr
    bad = yoi("plugin", "dev", str(folder), "--allow-fs", "nowhere:read", stdin="")
    assert bad.returncode == 2 and "--allow-fs: `nowhere` is not a folder" in bad.stderr


def test_a_new_host_api_gets_its_dev_flag_from_its_registry_entry(monkeypatch):
    """`request`/`websocket` (issue 20) will be registry entries: their grant record's command-line
    spelling is all `dev` needs. A throwaway `echo` entry shows it."""
    from dataclasses import dataclass, replace
    from typing import ClassVar

    from engine import api_registry
    from engine.api_registry import GrantRecord
    from engine.dev.grants import allow_flags, dev_grants, parse_allowed
    from engine.package.model import Permission

    @dataclass(frozen=True)
    class EchoGrant(GrantRecord):
        FLAG_METAVAR: ClassVar[str | None] = "PREFIX"
        FLAG_HELP: ClassVar[str] = "Open echo with PREFIX."
        prefix: str = ""

        @classmethod
        def from_flag(cls, value: str) -> EchoGrant:
            if "!" in value:
                raise ValueError("no `!` in a prefix")
            return cls(value)

    echo = replace(api_registry.HOST_APIS[0], name="echo", interface="test:echo/echo@1.0.0", grant=EchoGrant)
    monkeypatch.setattr(api_registry, "HOST_APIS", (*api_registry.HOST_APIS, echo))
    assert [flag.option for flag in allow_flags()][-1] == "--allow-echo"
    allowed = parse_allowed({"echo": ["hi:"]})
    assert allowed["echo"] == (EchoGrant("hi:"),)
    with pytest.raises(ValueError, match="--allow-echo: no `!` in a prefix"):
        parse_allowed({"echo": ["x!"]})

    class Manifest:
        version = "1.0.0"
        permissions = (Permission("host_api", "echo"), Permission("host_api", "fs"))

    grants = dev_grants("project:a", Manifest, "sha256:" + "0" * 64, allowed)
    assert grants.echo == (EchoGrant("hi:"),) and grants.fs == ()
    assert [p.value for p in grants.permissions] == ["echo"]  # fs was not opened: not granted
