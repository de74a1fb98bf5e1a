"""__PLUGIN_ID__: a Tool-only plugin in Python, built with `yoi plugin build .`.

Each `@tool` method handles one tool of plugin.toml. The host runs a fresh instance per call,
so nothing is kept between calls. `WitWorld` is what componentize-py exports.
"""

from yoi_pdk import ToolError, ToolOutput, ToolPlugin, tool, tool_world


class Echo(ToolPlugin):
    @tool("__TOOL_NAME__")
    def echo(self, ctx, input):
        text = input.get("text") if isinstance(input, dict) else None
        if not isinstance(text, str):
            raise ToolError("invalid_input", "`text` must be a string")
        return ToolOutput(f"echo: {text}", text)


WitWorld = tool_world(Echo)
