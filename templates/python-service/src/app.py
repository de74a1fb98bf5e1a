"""__PLUGIN_ID__: a service plugin in Python, built with `yoi plugin build .`.

The host opens the WebSocket named by the ingress source in plugin.toml and delivers its text
messages as `websocket_text` events; the handler answers each one with a `websocket_send` output
command, which the host sends on that same connection after the handler returns (grant-checked,
at most 32 KiB). `WitWorld` is what componentize-py exports.
"""

from yoi_pdk import PluginStatus, Plugin, ServiceOutput, bound_text, instance_world

MAX_REPLY_BYTES = 32768


class SocketEcho(Plugin):
    def start(self, ctx, config):
        # `config` is the enablement's `config` table (None when there is none).
        prefix = config.get("reply_prefix") if isinstance(config, dict) else None
        self.prefix = prefix if isinstance(prefix, str) else "echo: "
        self.received = 0
        self.closed = 0
        return PluginStatus("running", self.snapshot())

    def handle_ingress(self, ctx, name, event):
        # Events are untrusted input: read what you need, defensively.
        if event.kind != "websocket_text":
            self.closed += event.kind == "websocket_close"
            return ServiceOutput.accepted({"kind": event.kind, "payload": event.payload})
        text, url = event.websocket_text(), event.websocket_url()
        if text is None or url is None:
            return ServiceOutput.accepted({"ignored": "no text or url"})
        self.received += 1
        reply = bound_text(self.prefix + text, MAX_REPLY_BYTES)
        return ServiceOutput.websocket_send(event, f"reply-{self.received}", url, reply)

    def status(self, ctx):
        return PluginStatus("running", self.snapshot())

    def stop(self, ctx):
        return PluginStatus.stopped(self.snapshot())

    def snapshot(self):
        return {"received": self.received, "closed": self.closed}


WitWorld = instance_world(SocketEcho)
