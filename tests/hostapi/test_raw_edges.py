"""The raw ABI's pointer/length edges (spec §6.8), probed by real modules with one page of memory
(it ends at 65536): copy-outs return -1 without an output error, descriptor reads record one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hostapi_guests import raw_probe_guest
from hostapi_plans import fs_grant, https_grant
from runtime_guests import build, fault_of, package_plan

END = 65536
I32_MIN = -(2 ** 31)


def probe_plan(tmp_path, probes, name="probe"):
    plan = package_plan(tmp_path / name, build(raw_probe_guest(probes)), runtime="raw", tools=("count",),
                        host_apis=("https", "fs"))
    return replace(plan, https_allowlist=(https_grant("127.0.0.1", ("GET",)),), fs_allowlist=(fs_grant(tmp_path),))


def test_copy_outs_check_pointer_and_length_at_every_edge(tmp_path, registry_for, connects):
    """`count` is 5 bytes: in bounds up to exactly the end of memory; negative, oversize (an i32
    above 2^31 arrives negative), inexact or past-the-end requests return -1 and record nothing.
    Before any request the responses are empty: length 0, and only an exact 0-byte read succeeds,
    even at the very end of memory."""
    probes = [
        ("yoi:tool", "tool_name_len", (), 5),
        ("yoi:tool", "tool_name_read", (END - 5, 5), 5),
        ("yoi:tool", "tool_name_read", (END - 4, 5), -1),
        ("yoi:tool", "tool_name_read", (-1, 5), -1),
        ("yoi:tool", "tool_name_read", (0, -1), -1),
        ("yoi:tool", "tool_name_read", (0, I32_MIN + 5), -1),
        ("yoi:tool", "tool_name_read", (2 ** 31 - 1, 5), -1),
        ("yoi:tool", "tool_name_read", (0, 4), -1),
        ("yoi:tool", "tool_name_read", (0, 6), -1),
        ("yoi:https", "response_len", (), 0),
        ("yoi:https", "response_read", (0, 0), 0),
        ("yoi:https", "response_read", (END, 0), 0),
        ("yoi:https", "response_read", (END + 1, 0), -1),
        ("yoi:https", "response_read", (0, 1), -1),
        ("yoi:fs", "response_len", (), 0),
        ("yoi:fs", "response_read", (END, 0), 0),
        ("yoi:fs", "response_read", (-1, 0), -1),
    ]
    plan = probe_plan(tmp_path, probes)
    assert registry_for([plan]).call_tool(plan.ref, "count", {}) == {"summary": "done"}
    assert connects() == []


@pytest.mark.parametrize("module,name,ptr,length,expected", [
    ("yoi:fs", "read", END, 0, "WASM output error: invalid FS read request JSON: Expecting value"),
    ("yoi:fs", "read", END + 1, 0, "WASM output error: guest input memory range is invalid"),
    ("yoi:fs", "list", END - 10, 11, "WASM output error: guest input memory range is invalid"),
    ("yoi:fs", "write", 2 ** 31 - 1, 1, "WASM output error: guest input memory range is invalid"),
    ("yoi:fs", "read", -1, 1, "WASM output error: guest input pointer/length is invalid"),
    ("yoi:fs", "read", 0, I32_MIN, "WASM output error: guest input pointer/length is invalid"),
    ("yoi:fs", "read", 0, 65537, "WASM output error: guest input exceeds 65536 bytes"),
    ("yoi:https", "request", 0, 49153, "WASM output error: guest input exceeds 49152 bytes"),
    ("yoi:https", "request", 0, 64, "WASM output error: invalid HTTPS request JSON"),
    ("yoi:tool", "output_write", END - 1, 2, "WASM output error: guest output memory range is invalid"),
    ("yoi:tool", "output_write", 0, -1, "WASM output error: guest output pointer/length is invalid"),
    ("yoi:tool", "output_write", 0, 65537, "WASM output error: guest output exceeds 65536 bytes"),
])
def test_bad_descriptor_ranges_fail_the_call_with_a_clear_output_error(tmp_path, registry_for, connects, module,
                                                                       name, ptr, length, expected):
    plan = probe_plan(tmp_path, [(module, name, (ptr, length), -1)])
    fault = fault_of(registry_for([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "invalid_output" and fault.message.startswith("plugin tool `count`"), fault
    assert expected in fault.message, fault.message
    assert connects() == []
