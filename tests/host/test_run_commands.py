"""`yoi plugin call` and `yoi plugin ingress` as real subprocesses on a temp workspace built from
the bundled examples (raw, component, instance) with an enablement (issue 9 item 8)."""

from __future__ import annotations

import json

import pytest

from example_workspace import EXAMPLE_GRANTS, add_raw_package, enablement, write_config, yoi

TICK = json.dumps({"kind": "tick", "source": "example", "payload": {"n": 1}})


def ws_args(workspace, *extra):
    return ["--workspace", str(workspace), *extra]


@pytest.mark.parametrize(("ref", "tool", "payload", "summary"), [
    ("project:example.raw-echo", "raw_echo", {"text": "raw"}, "echo from raw_echo"),
    ("example.component-echo", "component_echo", {"text": "comp"}, "component echo from component_echo"),
    ("project:example.counter", "counter", {}, "counter is at 1"),
])
def test_call_prints_the_tool_output(workspace, ref, tool, payload, summary):
    result = yoi("plugin", "call", ref, tool, "--input", json.dumps(payload), *ws_args(workspace))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["summary"] == summary
    if payload:
        assert json.loads(output["content"]) == payload
    assert "yoi plugin host: 3 plugin package(s) planned, 0 refused" in result.stderr


def test_call_exits_1_when_the_tool_answers_with_a_tool_error(workspace):
    """A ToolError is a ToolOutput whose content is `{"error": {...}}` (what the PDK writes): the
    output is printed, and the exit code says the tool did not do what was asked. The echo tool
    answers with its input, so an input of that shape comes back as a ToolError."""
    error = {"error": {"code": "denied", "message": "not today"}}
    result = yoi("plugin", "call", "example.raw-echo", "raw_echo", "--input", json.dumps(error),
                 *ws_args(workspace, "-q"))
    assert result.returncode == 1
    assert json.loads(json.loads(result.stdout)["content"]) == error
    assert result.stderr == "yoi plugin: tool `raw_echo` answered with an error: denied: not today\n"
    fine = yoi("plugin", "call", "example.raw-echo", "raw_echo", "--input", json.dumps({"error": "x", "a": 1}),
               *ws_args(workspace, "-q"))
    assert fine.returncode == 1  # any `error` key in the content object is the ToolError shape
    ok = yoi("plugin", "call", "example.raw-echo", "raw_echo", "--input", json.dumps({"text": "error"}),
             *ws_args(workspace, "-q"))
    assert ok.returncode == 0 and ok.stderr == ""


def test_ingress_delivers_to_the_instance(workspace):
    result = yoi("plugin", "ingress", "example.counter", "counter-events", "--event", TICK, *ws_args(workspace, "-q"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["accepted"] is True and report["output"]["events"] == 1
    assert report["plugin_ref"] == "project:example.counter" and result.stderr == ""


@pytest.mark.parametrize(("args", "code", "message"), [
    (["call", "example.counter", "counter", "--input", "{not json"], 2, "`--input` is not valid JSON"),
    (["call", "example.counter", "counter", "--input", "NaN"], 2, "`--input` is not valid JSON"),
    (["call", "example.raw-echo", "raw_echo", "--input", '{"a": -1e400}'], 2, "`--input` is not valid JSON"),
    (["call", "example.counter", "counter", "--input", '{"x": 1}'], 2,
     "invalid_input: plugin tool `counter` input does not match its input_schema: $: property `x` is not allowed"),
    (["call", "example.counter", "no_such_tool"], 1, "not_found:"),
    (["call", "no.such.plugin", "counter"], 1, "not_found: plugin package `no.such.plugin` is not enabled"),
    (["call", "example.raw-echo", "raw_echo", "--input", json.dumps({"text": "x" * 70000})], 2,
     "invalid_input: plugin tool `raw_echo` input exceeds 65536 bytes"),
    (["ingress", "example.counter", "counter-events", "--event", '{"kind": "tock", "source": "example", '
      '"payload": {}}'], 2, "does not accept event kind `tock`"),
    (["ingress", "example.raw-echo", "counter-events", "--event", TICK], 1,
     "denied: plugin ingress surface is not enabled"),
    (["ingress", "example.counter", "counter-events"], 2, "Missing option '--event'"),
])
def test_refusals_and_bad_input_exit_with_a_bounded_diagnostic(workspace, args, code, message):
    result = yoi("plugin", *args, *ws_args(workspace, "-q"))
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr and len(result.stderr) < 2000


def test_call_of_a_policy_denied_package_is_refused_with_the_rules_reason(workspace, tmp_path):
    ref, table = add_raw_package(workspace, "blocked.pkg", "blocked_echo")
    write_config(workspace, *(enablement(f) for f in EXAMPLE_GRANTS), table)
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('deny org_block(P) "blocked by the org" :- package(P, _, "blocked.pkg", _, _).\n')
    result = yoi("plugin", "call", ref, "blocked_echo", *ws_args(workspace, "--policy", str(policy)))
    assert result.returncode == 1
    assert f"denied: plugin package `{ref}` was refused at startup [rejected]: blocked by the org" in result.stderr
    assert f"refused {ref} [rejected]" in result.stderr and "reason: blocked by the org" in result.stderr
    assert "WASM module error" not in result.stderr  # its (uncompilable) artifact was never compiled


def test_review_commands_never_import_the_runtime(workspace):
    """`list`/`show` and the lazily registered run commands: listing them loads no runtime code (wasmtime
    itself may be imported by static component inspection on a cold cache, which runs nothing)."""
    probe = ("import sys\nfrom engine.cli.main import cli\n"
             "for args in (['plugin', '--help'], ['plugin', 'list', '--workspace', sys.argv[1]],\n"
             "             ['plugin', 'show', 'example.counter', '--workspace', sys.argv[1]]):\n"
             "    try:\n        cli(args)\n    except SystemExit:\n        pass\n"
             "loaded = sorted(m for m in sys.modules if m.startswith(('engine.runtime', 'engine.host')))\n"
             "print('LOADED', loaded)\n")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", probe, str(workspace)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("LOADED []"), result.stdout[-400:]
