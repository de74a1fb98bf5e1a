"""The host APIs reached by real guests through both ABIs, via the runtime registry."""

from __future__ import annotations

import json
import os

from hostapi_guests import TOOL_FOR_OP, component_guest, raw_guest
from hostapi_plans import fs_grant, https_grant
from runtime_guests import build, fault_of, package_plan


def _grants(plan, https_server, root):
    from dataclasses import replace

    return replace(plan, https_allowlist=(https_grant("127.0.0.1", ("GET", "POST"), ("/api/",)),),
                   fs_allowlist=(fs_grant(root),))


def raw_plan(tmp_path, name, api, op, https_server, root, call=True, host_apis=None):
    plan = package_plan(tmp_path / name, build(raw_guest(api, op, call)), runtime="raw", tools=("count",),
                        host_apis=(api,) if host_apis is None else host_apis)
    return _grants(plan, https_server, root)


def component_plan(tmp_path, name, https_server, root, apis=("https", "fs"), call=True, host_apis=None):
    plan = package_plan(tmp_path / name, build(component_guest(apis, call)), tools=tuple(TOOL_FOR_OP.values()),
                        host_apis=apis if host_apis is None else host_apis)
    return _grants(plan, https_server, root)


def content(output: dict) -> dict:
    assert output["summary"] == "ok", output
    return json.loads(output["content"])


def test_the_same_host_apis_from_a_raw_module_and_from_a_component(tmp_path, https_server, files, registry_for):
    raw_https = raw_plan(tmp_path, "raw-https", "https", "request", https_server, files)
    raw_read = raw_plan(tmp_path, "raw-read", "fs", "read", https_server, files)
    comp = component_plan(tmp_path, "comp", https_server, files)
    registry = registry_for([raw_https, raw_read, comp])
    get = {"method": "GET", "url": https_server.url()}
    by_raw = content(registry.call_tool(raw_https.ref, "count", get))
    by_component = content(registry.call_tool(comp.ref, "get", get))
    assert by_raw == by_component and by_raw["status"] == 200 and by_raw["body"] == "hello"
    read = {"path": "hello.txt"}
    assert content(registry.call_tool(raw_read.ref, "count", read))["content"] == 'hi "there"\n'
    assert content(registry.call_tool(comp.ref, "read", read))["content"] == 'hi "there"\n'
    listing = content(registry.call_tool(comp.ref, "ls", {"path": "."}))
    assert listing["entries"] == [{"name": "hello.txt", "kind": "file"}]
    assert content(registry.call_tool(comp.ref, "write", {"path": "out.txt", "content": "x"}))["bytes_written"] == 1
    assert (files / "out.txt").read_text() == "x"
    assert https_server.connections == 2


def test_raw_host_api_errors_poison_the_call_and_components_get_errors_as_data(tmp_path, https_server, files,
                                                                             registry_for, connects):
    raw_https = raw_plan(tmp_path, "raw-https", "https", "request", https_server, files)
    comp = component_plan(tmp_path, "comp", https_server, files)
    registry = registry_for([raw_https, comp])
    ssrf = {"method": "GET", "url": "https://169.254.169.254/latest/meta-data"}
    fault = fault_of(registry.call_tool, raw_https.ref, "count", ssrf)
    assert fault.kind == "invalid_output"
    assert 'WASM output error: HTTPS blocked local/private host "169.254.169.254"' in fault.message
    error = content(registry.call_tool(comp.ref, "get", ssrf))
    assert error == {"error": {"message": 'HTTPS blocked local/private host "169.254.169.254"'}}
    assert connects() == []


def test_a_granted_but_unused_import_makes_no_network_call(tmp_path, https_server, files, registry_for, connects):
    raw = raw_plan(tmp_path, "raw", "https", "request", https_server, files, call=False)
    comp = component_plan(tmp_path, "comp", https_server, files, call=False)
    registry = registry_for([raw, comp])
    assert registry.call_tool(raw.ref, "count", {"method": "GET", "url": https_server.url()}) == {"summary": "failed"}
    assert registry.call_tool(comp.ref, "get", {"method": "GET", "url": https_server.url()}) == {"summary": "failed"}
    assert https_server.connections == 0 and connects() == []


def test_a_host_api_missing_from_the_plan_fails_instantiation_with_a_clear_diagnostic(tmp_path, https_server, files,
                                                                                     registry_for):
    raw = raw_plan(tmp_path, "raw", "fs", "read", https_server, files, host_apis=())
    comp = component_plan(tmp_path, "comp", https_server, files, apis=("fs",), host_apis=("https",))
    registry = registry_for([raw, comp])
    fault = fault_of(registry.call_tool, raw.ref, "count", {"path": "hello.txt"})
    assert fault.kind == "denied" and "plugin host API dispatch denied" in fault.message and "`fs`" in fault.message
    fault = fault_of(registry.start, comp.ref)
    assert fault.kind == "denied" and "plugin host API dispatch denied" in fault.message and "`fs`" in fault.message
    assert registry.status(comp.ref)["lifecycle"] == "Failed"


def test_one_instance_survives_every_escape_and_keeps_serving(tmp_path, https_server, tripwire, files, registry_for,
                                                             connects):
    """An adversarial guest drives one live component instance through every refusal of both host
    APIs; each comes back as data, nothing reaches the network or leaves the root, and the same
    instance then serves a granted request and a granted read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET")
    (files / "link").symlink_to(outside)
    (files / "leaf.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(files / "fifo")
    comp = component_plan(tmp_path, "comp", https_server, files)
    registry = registry_for([comp])
    registry.start(comp.ref)
    port, hits = tripwire
    https_escapes = [
        {"method": "GET", "url": f"http://127.0.0.1:{port}/api/x"},
        {"method": "TRACE", "url": https_server.url()},
        {"method": "GET", "url": f"https://other.example:{port}/api/x"},
        {"method": "GET", "url": f"https://localhost:{port}/api/x"},
        {"method": "GET", "url": f"https://127.0.0.2:{port}/api/x"},
        {"method": "GET", "url": "https://10.0.0.1/api/x"},
        {"method": "GET", "url": "https://169.254.169.254/latest"},
        {"method": "GET", "url": "file:///etc/passwd"},
        {"method": "GET", "url": f"https://[::ffff:127.0.0.1]:{port}/api/x"},
        {"method": "GET", "url": "https://[::10.0.0.1]/api/x"},
        {"method": "GET", "url": f"https://2130706433:{port}/api/x"},
        {"method": "GET", "url": f"https://0x7f000001:{port}/api/x"},
        {"method": "GET", "url": f"https://0177.0.0.1:{port}/api/x"},
        {"method": "GET", "url": f"https://127.1:{port}/api/x"},
        {"method": "GET", "url": f"https://127.0.0.1.:{port}/api/x"},
        {"method": "GET", "url": f"https://user:pw@127.0.0.1:{port}/api/x"},
        {"method": "GET", "url": https_server.url(), "headers": [{"name": "Authorization", "value": "Bearer t"}]},
        {"method": "GET", "url": https_server.url(), "extra": True},
        {"method": "GET", "url": https_server.url("/admin")},
    ]
    for descriptor in https_escapes:
        answer = content(registry.call_tool(comp.ref, "get", descriptor))
        assert set(answer) == {"error"}, descriptor
    fs_escapes = [
        ("read", {"path": "../outside/secret.txt"}), ("read", {"path": "/etc/passwd"}),
        ("read", {"path": "link/secret.txt"}), ("read", {"path": "leaf.txt"}), ("read", {"path": "fifo"}),
        ("read", {"path": "a\u0000b"}), ("ls", {"path": "link"}), ("ls", {"path": ".."}),
        ("write", {"path": "link/new.txt", "content": "x"}), ("write", {"path": "leaf.txt", "content": "x"}),
        ("write", {"path": "fifo", "content": "x"}), ("write", {"path": "../escape.txt", "content": "x"}),
        ("write", {"path": "nodir/new.txt", "content": "x"}),
    ]
    for tool, descriptor in fs_escapes:
        answer = content(registry.call_tool(comp.ref, tool, descriptor))
        assert set(answer) == {"error"} and "TOP-SECRET" not in json.dumps(answer), (tool, descriptor)
    assert hits == [] and connects() == [] and https_server.connections == 0
    assert (outside / "secret.txt").read_text() == "TOP-SECRET" and sorted(os.listdir(outside)) == ["secret.txt"]
    assert not (tmp_path / "escape.txt").exists()
    assert registry.status(comp.ref)["lifecycle"] == "Started"
    assert content(registry.call_tool(comp.ref, "get", {"method": "GET", "url": https_server.url()}))["body"] == "hello"
    assert content(registry.call_tool(comp.ref, "read", {"path": "hello.txt"}))["content"] == 'hi "there"\n'


def test_importing_the_runtime_loads_the_host_api_bounds_but_not_the_network_code():
    """hostlink takes the descriptor bounds from hostapi/surface.py on the `import engine.runtime`
    path; https/fs (ssl, sockets) load only when an instance builds its HostApis."""
    import subprocess
    import sys

    code = ("import sys, engine.runtime, engine.runtime.hostlink as h; print(h.DESCRIPTOR_LIMITS, sorted(m for m in "
            "sys.modules if m in ('ssl', 'engine.runtime.hostapi.https', 'engine.runtime.hostapi.fs', "
            "'engine.runtime.hostapi.dispatch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'https': 49152, 'request': 49152, 'websocket': 8192, 'fs': 65536} []"
    from engine.runtime.hostapi import HostApis
    from engine.runtime.hostapi.dispatch import HostApis as loaded

    assert HostApis is loaded
