"""yoi_pdk: write yoi plugin guests in Python (componentize-py components, no WASI).

Guest-only and dependency-free: it grants nothing (the host decides every grant) and imports
nothing from the engine. See docs/authoring.md.
"""

from yoi_pdk.bounds import (
    MAX_CONTENT_BYTES, MAX_ERROR_MESSAGE_BYTES, MAX_LIFECYCLE_OUTPUT_BYTES, MAX_SUMMARY_BYTES, MAX_TOOL_OUTPUT_BYTES,
    PLUGIN_INSTANCE_WORLD, TOOL_WORLD, bound_text,
)
from yoi_pdk.host import Fs, HostError, Https, Request, WebSocket
from yoi_pdk.outputs import (
    ERROR_CODES, IngressEvent, PluginStatus, ServiceOutput, ServiceOutputCommand, ToolError, ToolOutput,
)
from yoi_pdk.plugin import Context, InstanceGlue, Plugin, ToolGlue, ToolPlugin, instance_world, tool, tool_world

__all__ = [
    "ERROR_CODES", "MAX_CONTENT_BYTES", "MAX_ERROR_MESSAGE_BYTES", "MAX_LIFECYCLE_OUTPUT_BYTES", "MAX_SUMMARY_BYTES",
    "MAX_TOOL_OUTPUT_BYTES", "PLUGIN_INSTANCE_WORLD", "TOOL_WORLD", "Context", "Fs", "HostError", "Https",
    "IngressEvent", "InstanceGlue", "Plugin", "PluginStatus", "Request", "ServiceOutput", "ServiceOutputCommand",
    "ToolError", "ToolGlue", "ToolOutput", "ToolPlugin", "WebSocket", "bound_text", "instance_world", "tool",
    "tool_world",
]
