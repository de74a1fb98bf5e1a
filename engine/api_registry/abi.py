"""The calling conventions host functions are linked with, shared by the registry's entries, the
facts the ABI rules read and the runtime's linker (so none of them keeps its own copy)."""

from __future__ import annotations

# A component host function today: JSON text in, JSON text out (wit/deps/yoi-host).
JSON_CALL = "func(request-json: string) -> string"
# Functions on a connection handle (yoi:host/websocket@1.0.0): the arguments themselves cross, not
# a JSON descriptor; hostlink.py links each of these signatures with its adapter.
HANDLE_TEXT_CALL = "func(handle: u32, text: string) -> string"
HANDLE_TIMEOUT_CALL = "func(handle: u32, timeout-ms: u32) -> string"
HANDLE_CALL = "func(handle: u32) -> string"

# The raw core-module ABI yoi-plugin-wasm-1 (spec §6.8). A host call takes (ptr, len) of its JSON
# descriptor and answers the response length (or -1); the guest then fetches the response.
RAW_CALL = "(i32, i32) -> i32"
RAW_LENGTH = "() -> i32"
RAW_RESPONSE_FUNCTIONS = (("response_len", RAW_LENGTH), ("response_read", RAW_CALL))
# The tool's own module: its name, its input, and where its output goes.
RAW_TOOL_MODULE = "yoi:tool"
RAW_TOOL_FUNCTIONS = (
    ("tool_name_len", RAW_LENGTH),
    ("tool_name_read", RAW_CALL),
    ("input_len", RAW_LENGTH),
    ("input_read", RAW_CALL),
    ("output_write", RAW_CALL),
)
