"""Host API calls live within the guest call that makes them: its deadline and a cap on their
number (wasmtime's epoch deadline cannot interrupt a Python host function, and fuel does not
count host time). Real guests, a real dripping TLS server, real folders; no timed assertions:
the outcome (fault kind, connections the server saw) is what is checked."""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import replace

from hostapi_guests import TOOL_FOR_OP, component_guest, raw_loop_guest
from hostapi_plans import fs_grant, https_grant, make_plan
from runtime_guests import build, fault_of, package_plan

from engine.runtime import HostConfig
from engine.runtime.hostapi import MAX_HOST_CALLS_PER_GUEST_CALL, HostApis
from engine.runtime.hostapi.fs import FsApi
from engine.runtime.hostlink import _dispatch


def drip(conn, request):
    """Answer one header line at a time, forever: only a deadline ends the call."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(200):
        conn.sendall(b"X: y\r\n")
        time.sleep(0.05)


def guest_plan(tmp_path, name, wat, api, https_server, root, runtime="raw", tools=("count",), timeout_ms=300):
    plan = package_plan(tmp_path / name, build(wat), runtime=runtime, tools=tools, host_apis=(api,))
    return replace(plan, limits=replace(plan.limits, timeout_ms=timeout_ms),
                   https_allowlist=(https_grant("127.0.0.1", ("GET",), ("/api/",)),),
                   fs_allowlist=(fs_grant(root),))


def test_a_guest_looping_on_a_dripping_server_times_out_after_one_connection(tmp_path, https_server, files,
                                                                            registry_for):
    """The first request is cut at the guest call's deadline (300 ms, not the 5 s of https);
    every later one fails at once, so the server sees one connection and the epoch interrupts."""
    https_server.respond = drip
    plan = guest_plan(tmp_path, "loop", raw_loop_guest("https", "request"), "https", https_server, files)
    registry = registry_for([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {"method": "GET", "url": https_server.url()})
    assert fault.kind == "timeout", fault
    assert https_server.connections == 1
    # a raw module runs per call: its timeout is that call's error, not the package's (issue 17.7)
    assert registry.status(plan.ref)["lifecycle"] == "Ready"  # a legacy adapter stays Ready (spec §6.4)


def test_straight_line_host_calls_past_the_deadline_fail_at_once(tmp_path, https_server, files, registry_for):
    """Ten requests in straight-line code: no epoch check between them, so only the host's own
    deadline stops them. The first is cut at the call's deadline and the other nine fail without
    a connection (with https's own 5 s each, the server would see ten over 50 s)."""
    https_server.respond = drip
    wat = raw_loop_guest("https", "request", times=10, unrolled=True)
    plan = guest_plan(tmp_path, "straight", wat, "https", https_server, files)
    registry = registry_for([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {"method": "GET", "url": https_server.url()})
    assert fault.kind == "invalid_output", fault  # the first error recorded fails the call (spec §6.8)
    assert fault.message.endswith(f"WASM output error: HTTPS request to {https_server.url()} timed out")
    assert https_server.connections == 1


def test_a_component_gets_the_deadline_as_data_before_the_epoch_ends_its_call(tmp_path, https_server, files):
    """A coarse epoch (1 s ticks: the guest's 300 ms deadline lands 1-2 s out) leaves the guest
    running after its request is cut at 300 ms, so it receives the timeout as data and answers;
    a request that ran its own 5 s would return after the epoch deadline and the guest would be
    interrupted (kind `timeout`)."""
    from engine.runtime import PluginInstanceRegistry

    https_server.respond = drip
    plan = guest_plan(tmp_path, "comp", component_guest(("https",)), "https", https_server, files,
                      runtime="instance", tools=(TOOL_FOR_OP["request"],))
    host = HostConfig(cache_dir=tmp_path / "compiled", https_ca_bundle=https_server.ca_bundle, epoch_tick_ms=1000)
    with PluginInstanceRegistry([plan], host=host) as registry:
        output = registry.call_tool(plan.ref, "get", {"method": "GET", "url": https_server.url()})
        assert json.loads(output["content"]) == {
            "error": {"message": f"HTTPS request to {https_server.url()} timed out"}}
        assert registry.status(plan.ref)["lifecycle"] == "Started"
    assert https_server.connections == 1


def test_a_guest_call_makes_at_most_64_host_api_calls(tmp_path, https_server, files, registry_for):
    """100 granted requests in one call: 64 reach the server, the 65th is refused and, through the
    raw ABI, fails the call; the next call has a budget of its own."""
    plan = guest_plan(tmp_path, "many", raw_loop_guest("https", "request", times=100), "https", https_server,
                      files, timeout_ms=20_000)
    registry = registry_for([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {"method": "GET", "url": https_server.url()})
    assert fault.kind == "invalid_output"
    assert f"a guest call may make at most {MAX_HOST_CALLS_PER_GUEST_CALL} host API calls" in fault.message
    assert https_server.connections == MAX_HOST_CALLS_PER_GUEST_CALL == 64
    few = guest_plan(tmp_path, "few", raw_loop_guest("fs", "read", times=64), "fs", https_server, files,
                     timeout_ms=20_000)
    registry = registry_for([few])
    for _ in range(2):
        assert registry.call_tool(few.ref, "count", {"path": "hello.txt"}) == {"summary": "done"}


def test_a_request_with_no_time_left_fails_at_once_before_the_network(https_server, tripwire, files, connects):
    port, hits = tripwire
    apis = HostApis(make_plan(("https", "fs"), https=[https_grant("127.0.0.1", ("GET",))], fs=[fs_grant(files)]),
                    HostConfig(https_ca_bundle=https_server.ca_bundle))
    past = time.monotonic() - 0.001
    url = json.dumps({"method": "GET", "url": f"https://127.0.0.1:{port}/x"}).encode()
    assert apis.dispatch("https", "request", url, past) == (
        False, "host API https request refused: the guest call has used up its time limit")
    write = json.dumps({"path": "new.txt", "content": "x"}).encode()
    assert apis.dispatch("fs", "write", write, past) == (
        False, "host API fs write refused: the guest call has used up its time limit")
    assert hits == [] and connects() == [] and not (files / "new.txt").exists()


def test_https_uses_the_shorter_of_its_own_timeout_and_the_call_deadline(https_server):
    https_server.respond = drip
    apis = HostApis(make_plan(("https",), https=[https_grant("127.0.0.1", ("GET",))]),
                    HostConfig(https_ca_bundle=https_server.ca_bundle))
    descriptor = json.dumps({"method": "GET", "url": https_server.url()}).encode()
    assert apis.dispatch("https", "request", descriptor, time.monotonic() + 0.3) == (
        False, f"HTTPS request to https://127.0.0.1:{https_server.port}/api/x timed out")
    assert https_server.connections == 1


def test_a_list_scan_and_a_wait_for_another_writer_stop_at_the_deadline(files):
    from engine.runtime.hostapi import fs

    api = FsApi((fs_grant(files),))
    listing = json.dumps({"path": "."}).encode()
    assert json.loads(api.run("list", listing, None))["entries"] == [{"name": "hello.txt", "kind": "file"}]
    past = time.monotonic() - 0.001
    assert _error(api.run, "list", listing, past) == "FS list of . stopped: the guest call has used up its time limit"
    folder = os.open(files, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with fs._target_lock(folder, "hello.txt"):  # another writer holds the target
            message = _error(api.run, "write", json.dumps({"path": "hello.txt", "content": "x"}).encode(),
                             time.monotonic() + 0.05)
    finally:
        os.close(folder)
    assert message == ("FS write of hello.txt stopped: the guest call has used up its time limit "
                       "waiting for another writer")
    assert (files / "hello.txt").read_text() == 'hi "there"\n'


def _error(run, *args) -> str:
    from engine.runtime.hostapi.descriptor import HostApiError

    try:
        run(*args)
    except HostApiError as error:
        return error.message
    raise AssertionError("the request succeeded")


def test_a_host_function_entered_outside_a_guest_call_fails_closed(files):
    apis = HostApis(make_plan(("fs",), fs=[fs_grant(files)]))
    assert _dispatch(apis, "fs", "read", b'{"path":"hello.txt"}') == (
        False, "host API fs refused: not inside a guest call")


def test_a_write_keeps_permission_bits_but_drops_setuid_setgid_and_sticky(files):
    target = files / "tool.sh"
    target.write_text("#!/bin/sh\n")
    os.chmod(target, 0o6755)
    if stat.S_IMODE(target.stat().st_mode) != 0o6755:  # a nosuid mount may refuse the bits
        os.chmod(target, 0o1755)
    apis = HostApis(make_plan(("fs",), fs=[fs_grant(files)]))
    ok, _ = apis.dispatch("fs", "write", json.dumps({"path": "tool.sh", "content": "echo hi\n"}).encode())
    assert ok and target.read_text() == "echo hi\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_lookups_given_up_at_the_deadline_hold_at_most_the_plugins_share_of_threads(https_server, connects):
    """A resolver that never answers (until released): each lookup is given up at its deadline but
    keeps its thread; once the plugin's share (4) of given-up lookups is running, its next lookup
    times out without starting another thread (issue 17.5: the share is per plugin, not a pool of 8
    for the whole process)."""
    import threading

    from engine.runtime.hostapi.dns import PER_PLUGIN

    release, calls = threading.Event(), []

    def stuck(host, port):
        calls.append(host)
        release.wait(30)
        return ["93.184.216.34"]

    apis = HostApis(make_plan(("https",), https=[https_grant("api.test", ("GET",))]),
                    HostConfig(https_ca_bundle=https_server.ca_bundle, resolver=stuck))
    descriptor = json.dumps({"method": "GET", "url": "https://api.test/x"}).encode()
    try:
        for _ in range(PER_PLUGIN + 1):
            assert apis.dispatch("https", "request", descriptor, time.monotonic() + 0.05) == (
                False, 'DNS lookup for "api.test" timed out')
        assert len(calls) == PER_PLUGIN == 4
    finally:
        release.set()
    assert connects() == []
