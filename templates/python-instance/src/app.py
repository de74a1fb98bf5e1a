"""__PLUGIN_ID__: an instance plugin in Python, built with `yoi plugin build .`.

One object lives as long as the instance: its attributes are the state that the tool, the
service (status) and the ingress share. `WitWorld` is what componentize-py exports.
"""

from yoi_pdk import PluginStatus, Plugin, ServiceOutput, ToolError, ToolOutput, instance_world


class Counter(Plugin):
    def start(self, ctx, config):
        # `config` is the enablement's `config` table (None when there is none).
        self.label = config.get("label") if isinstance(config, dict) else None
        self.count = 0
        self.events = 0
        return PluginStatus.ready(self.snapshot())

    def handle_tool(self, ctx, name, input):
        if name != "__TOOL_NAME__":
            raise ToolError.unsupported_tool(name)
        step = input.get("by", 1) if isinstance(input, dict) else 1
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 1000:
            raise ToolError("invalid_input", "`by` must be an integer from 1 to 1000")
        self.count += step
        return ToolOutput.json(f"counter is at {self.count}", self.snapshot())

    def handle_ingress(self, ctx, name, event):
        # Ingress events are untrusted input: read what you need, defensively.
        self.events += 1
        return ServiceOutput({"kind": event.kind, "events": self.events}).with_status(self.snapshot())

    def status(self, ctx):
        return PluginStatus.ready(self.snapshot())

    def stop(self, ctx):
        return PluginStatus.stopped(self.snapshot())

    def snapshot(self):
        return {"count": self.count, "events": self.events, "label": self.label}


WitWorld = instance_world(Counter)
