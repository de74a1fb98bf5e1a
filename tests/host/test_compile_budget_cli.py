"""Issue 17 point 4 through a real `yoi plugin call` child process: a raw module built to be slow
to compile (seconds) under `compile_ms = 200` is refused with a message naming the budget, its
compiler process does not outlive the call, and nothing of it lands in the compiled cache. On
main there was no bound: the call sat in wasmtime for as long as the compile took."""

from __future__ import annotations

import uuid

from example_workspace import add_raw_package, write_config, yoi
from slow_compile import processes_with_env, slow_raw_module


def test_yoi_plugin_call_refuses_a_compile_over_its_budget(workspace, tmp_path):
    ref, table = add_raw_package(workspace, "slow.compile", "slow_tool", artifact=slow_raw_module())
    write_config(workspace, table + "\n[plugins.enabled.limits]\ncompile_ms = 200\n")
    cache = tmp_path / "cache"
    token = f"yoi-compile-budget-{uuid.uuid4()}"
    result = yoi("plugin", "call", "slow.compile", "slow_tool", "--workspace", str(workspace), "-q",
                 env={"YOI_CACHE": str(cache), "YOI_TEST_TOKEN": token})
    assert result.returncode == 1, result.stderr
    assert "timeout:" in result.stderr and "compile budget of 200 ms" in result.stderr
    assert "`[plugins.enabled.limits] compile_ms`" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert processes_with_env(token) == []  # no compiler left running after the call returned
    assert not list(cache.rglob("*.module.cwasm"))  # (static inspection of the builtin components is not ours)
    raised = yoi("plugin", "list", "--workspace", str(workspace), "--json")
    assert '"compile_ms"' in raised.stdout  # the lowered budget is a limit like the others
