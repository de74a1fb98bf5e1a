"""Whatever a guest sends, dispatch answers (ok, text), never raises, never connects, and an
error stays within the 512-byte bound."""

from __future__ import annotations

import json

from hostapi_plans import fs_grant, https_grant, make_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.runtime.hostapi import HostApis

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from([
    "https://127.0.0.1/other/", "https://[::1]/api/", "https://0x7f.1/", "../x", "/etc/passwd", "a/../b", "",
    "https://api.example.com/v1/", "GET", "POST", "file:///", "https://user@host/", "\u0000",
])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
                       max_leaves=8)
_DESCRIPTORS = st.dictionaries(st.sampled_from(["method", "url", "headers", "body", "path", "content", "x"]),
                               _VALUES, max_size=5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(api_op=st.sampled_from([("https", "request"), ("fs", "read"), ("fs", "list"), ("fs", "write")]),
       descriptor=_DESCRIPTORS | st.binary(max_size=64).map(lambda b: {"raw": b}))
def test_dispatch_never_raises_and_errors_are_bounded(tmp_path, connects, api_op, descriptor):
    apis = HostApis(make_plan(("https", "fs"), https=[https_grant("127.0.0.1", ("GET",), ("/api/",))],
                              fs=[fs_grant(tmp_path, ("read", "list"))]))
    data = descriptor["raw"] if "raw" in descriptor else json.dumps(descriptor).encode()
    ok, text = apis.dispatch(*api_op, data)
    assert isinstance(ok, bool) and isinstance(text, str)
    if not ok:
        assert len(text.encode()) <= 512 + 3 and "failed internally" not in text, text
    assert connects() == []
