"""Host API helpers over a stand-in for the generated bindings (a recorder with the same
function shape: JSON text in, JSON text out); the real host is exercised end to end."""

from __future__ import annotations

import json

import pytest

from yoi_pdk import Fs, HostError, Https, InstanceGlue, Plugin


class Binding:
    """Records descriptors and answers with canned JSON, like `wit_world.imports.https`."""

    def __init__(self, answer: str):
        self.answer, self.calls = answer, []

    def _record(self, text: str) -> str:
        self.calls.append(json.loads(text))
        return self.answer

    request = read = list = write = _record


def test_https_request_descriptor_and_response():
    binding = Binding('{"status":200,"headers":[],"body":"{\\"ok\\":true}","truncated":false}')
    https = Https(binding)
    assert https.get_json("https://api.example.com/v1") == {"ok": True}
    response = https.request("POST", "https://api.example.com/v1", {"x-trace": "1"}, body="{}")
    assert response["status"] == 200
    assert binding.calls == [
        {"method": "GET", "url": "https://api.example.com/v1"},
        {"method": "POST", "url": "https://api.example.com/v1", "headers": [{"name": "x-trace", "value": "1"}],
         "body": "{}"},
    ]


@pytest.mark.parametrize("kwargs, words", [
    ({"method": "TRACE"}, "is not allowed"),
    ({"method": "get"}, "is not allowed"),
    ({"headers": {f"h{i}": "v" for i in range(17)}}, "too many headers"),
    ({"headers": {"": "v"}}, "header name is invalid"),
    ({"headers": {"n" * 65: "v"}}, "header name is invalid"),
    ({"headers": {"h": "v" * 1025}}, "exceeds 1024 bytes"),
    ({"body": "b" * 32769}, "body exceeds 32768 bytes"),
    ({"url": "https://x/" + "p" * 50_000}, "descriptor exceeds 49152 bytes"),
])
def test_https_bounds_fail_before_the_host_is_called(kwargs, words):
    binding = Binding("{}")
    args = {"method": "GET", "url": "https://example.com/", **kwargs}
    with pytest.raises(HostError, match=words):
        Https(binding).request(**args)
    assert binding.calls == []


def test_host_errors_are_raised_as_tool_errors_with_a_code():
    denied = Https(Binding('{"error":{"message":"plugin host API dispatch denied: host_api.https"}}'))
    with pytest.raises(HostError) as caught:
        denied.request("GET", "https://example.com/")
    assert caught.value.code == "denied" and "dispatch denied" in caught.value.message
    for answer, words in [('{"error":{"message":"timed out"}}', "timed out"), ("nope", "not JSON"),
                          ("[1]", "not a JSON object")]:
        with pytest.raises(HostError, match=words) as failed:
            Fs(Binding(answer)).read("a.txt")
        assert failed.value.code == "failed"


def test_fs_helpers_and_bounds():
    binding = Binding('{"path":"a.txt","content":"hi","truncated":false}')
    fs = Fs(binding)
    assert fs.read("a.txt")["content"] == "hi"
    fs.list(".")
    fs.write("out.txt", "data")
    assert binding.calls == [{"path": "a.txt"}, {"path": "."}, {"path": "out.txt", "content": "data"}]
    for call, words in [(lambda: fs.read(""), "must not be empty"), (lambda: fs.list("p" * 4097), "exceeds 4096"),
                        (lambda: fs.write("o.txt", "c" * 65537), "content exceeds 65536")]:
        with pytest.raises(HostError, match=words):
            call()
    assert len(binding.calls) == 3


def test_unlinked_host_api_says_how_to_link_it():
    for call in (lambda: Https().request("GET", "https://example.com/"), lambda: Fs().read("a")):
        with pytest.raises(HostError, match="rebuild with `yoi plugin build`") as caught:
            call()
        assert "host_api" in caught.value.message
    assert not Https().available and Fs(Binding("{}")).available


def test_glue_hands_host_apis_to_handlers_and_renders_their_errors():
    class Fetch(Plugin):
        def handle_tool(self, ctx, name, input):
            return ctx.fs.read(input["path"])["content"]

    glue = InstanceGlue(Fetch, fs=Fs(Binding('{"error":{"message":"host_api.fs read denied: no grant"}}')))
    glue.start("null")
    out = json.loads(glue.handle_tool("read", '{"path":"a.txt"}'))
    assert out["summary"] == "tool error: denied"
    glue = InstanceGlue(Fetch, fs=Fs(Binding('{"path":"a.txt","content":"hello","truncated":false}')))
    glue.start("null")
    assert json.loads(glue.handle_tool("read", '{"path":"a.txt"}')) == {"summary": "hello"}
