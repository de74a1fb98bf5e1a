"""The instance-oriented guest model and the glue that binds it to componentize-py's bindings.

An author writes a `Plugin` subclass (one object per instance, its attributes are the state),
or a `ToolPlugin` with `@tool` methods for Tool-only packages. `instance_world(MyPlugin)` and
`tool_world(MyPlugin)` return the `WitWorld` class componentize-py looks for in the app module:

    WitWorld = instance_world(Counter)

The glue owns the boundary rules of spec §6.14: inputs are parsed, outputs are bounded and
serialized, and no guest exception ever escapes (an uncaught Python exception aborts the whole
component and poisons the instance): it becomes a ToolError result or a lifecycle error JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from yoi_pdk.bounds import describe_exception
from yoi_pdk.host import Fs, Https, Request, WebSocket, default_fs, default_https, default_request, default_websocket
from yoi_pdk.outputs import (
    DEFAULT_SUMMARY, IngressEvent, PluginStatus, ServiceOutput, ToolError, ToolOutput, bounded_json, lifecycle_error,
)

NOT_STARTED = "plugin instance has not been started"
# Last resort when even rendering an error fails: constant text, valid for every decoder.
_FALLBACK_TOOL = '{"summary":"tool error: failed","content":"{\\"error\\":{\\"code\\":\\"failed\\",' \
                 '\\"message\\":\\"guest output could not be rendered\\"}}"}'
_FALLBACK_LIFECYCLE = '{"error":{"message":"guest output could not be rendered"}}'


@dataclass(frozen=True)
class Context:
    """What a handler gets besides its own state: which call this is and the host APIs."""

    call: str  # start | tool | ingress | status | stop
    name: str | None = None  # the tool or ingress name
    https: Https = Https()
    fs: Fs = Fs()
    request: Request = Request()  # ctx.request("GET", url): yoi b12e0785's outbound HTTP(S)
    websocket: WebSocket = WebSocket()  # ctx.websocket.open(url), .send, .recv, .close


class Plugin:
    """One plugin instance. Override what your package declares; the defaults are safe."""

    def start(self, ctx: Context, config: Any) -> PluginStatus | dict | None:
        """Called once with the enablement `config` (None when absent)."""
        return PluginStatus.ready()

    def handle_tool(self, ctx: Context, name: str, input: Any) -> ToolOutput | str | Any:
        raise ToolError.unsupported_tool(name)

    def handle_ingress(self, ctx: Context, name: str, event: IngressEvent) -> ServiceOutput | dict | None:
        raise ToolError("failed", f"unsupported ingress `{name}`")

    def status(self, ctx: Context) -> PluginStatus | dict | None:
        return PluginStatus.ready()

    def stop(self, ctx: Context) -> PluginStatus | dict | None:
        return PluginStatus.stopped()


def tool(name: str) -> Callable[[Callable], Callable]:
    """Mark a `ToolPlugin` method as the handler of tool `name`: `method(self, ctx, input)`."""

    def mark(method: Callable) -> Callable:
        method.__yoi_tool__ = name  # type: ignore[attr-defined]
        return method

    return mark


class ToolPlugin(Plugin):
    """Tool-only convenience: each `@tool(name)` method handles one tool; unknown names get the
    `unsupported_tool` error. Works with both `tool_world` and `instance_world`."""

    tools: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(getattr(cls, "tools", {}))
        for attr, value in vars(cls).items():
            name = getattr(value, "__yoi_tool__", None)
            if name is not None:
                found[name] = attr
        cls.tools = found

    def handle_tool(self, ctx: Context, name: str, input: Any) -> Any:
        attr = self.tools.get(name)
        if attr is None:
            raise ToolError.unsupported_tool(name)
        return getattr(self, attr)(ctx, input)


def tool_output(result: Any) -> ToolOutput:
    """A handler's return value as a ToolOutput: str is the summary, None is `tool completed`,
    any other JSON value becomes the content."""
    if isinstance(result, ToolOutput):
        return result
    if isinstance(result, str):
        return ToolOutput(result)
    if result is None:
        return ToolOutput(DEFAULT_SUMMARY)
    return ToolOutput.json(DEFAULT_SUMMARY, result)


def _status_value(result: Any, default: PluginStatus) -> Any:
    if result is None:
        return default.to_dict()
    if isinstance(result, PluginStatus):
        return result.to_dict()
    return result


def _ingress_value(result: Any) -> Any:
    if isinstance(result, ServiceOutput):
        return result.to_dict()
    if result is None:
        return ServiceOutput().to_dict()
    if isinstance(result, dict):
        return result
    return ServiceOutput(result).to_dict()


def _error_value(error: BaseException) -> dict[str, Any]:
    if isinstance(error, ToolError):
        return {"error": dict(error.to_dict()["error"])}
    return lifecycle_error(describe_exception(error))


def _guard_tool(body: Callable[[], ToolOutput]) -> str:
    try:
        try:
            return body().to_json()
        except ToolError as error:
            return error.to_output().to_json()
        except BaseException as error:  # noqa: BLE001 - nothing may escape into the component
            return ToolError("failed", describe_exception(error)).to_output().to_json()
    except BaseException:  # noqa: BLE001 - rendering failed (hostile __str__, MemoryError)
        return _FALLBACK_TOOL


def _guard_json(body: Callable[[], Any], what: str) -> str:
    try:
        try:
            return bounded_json(body(), what)
        except BaseException as error:  # noqa: BLE001
            return bounded_json(_error_value(error), what)
    except BaseException:  # noqa: BLE001
        return _FALLBACK_LIFECYCLE


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


class InstanceGlue:
    """One Plugin object in a slot, driven by the five exports of the instance world."""

    def __init__(self, factory: Callable[[], Plugin], https: Https | None = None, fs: Fs | None = None,
                 request: Request | None = None, websocket: WebSocket | None = None):
        self.factory = factory
        self.https = https if https is not None else default_https()
        self.fs = fs if fs is not None else default_fs()
        self.request = request if request is not None else default_request()
        self.websocket = websocket if websocket is not None else default_websocket()
        self.plugin: Plugin | None = None

    def _ctx(self, call: str, name: str | None = None) -> Context:
        return Context(call, name, self.https, self.fs, self.request, self.websocket)

    def _started(self) -> Plugin:
        if self.plugin is None:
            raise ToolError("failed", NOT_STARTED)
        return self.plugin

    def start(self, config_json: str) -> str:
        def body() -> Any:
            plugin = self.factory()
            result = plugin.start(self._ctx("start"), _parse_json(config_json))
            self.plugin = plugin
            return _status_value(result, PluginStatus.ready())

        self.plugin = None
        return _guard_json(body, "start")

    def handle_tool(self, name: str, input_json: str) -> str:
        def body() -> ToolOutput:
            plugin = self._started()
            try:
                value = json.loads(input_json)
            except (TypeError, ValueError, RecursionError) as error:
                raise ToolError("invalid_input", f"tool input is not valid JSON: {error}") from None
            return tool_output(plugin.handle_tool(self._ctx("tool", name), name, value))

        return _guard_tool(body)

    def handle_ingress(self, name: str, event_json: str) -> str:
        def body() -> Any:
            plugin = self._started()
            event = IngressEvent.from_json(event_json)
            return _ingress_value(plugin.handle_ingress(self._ctx("ingress", name), name, event))

        return _guard_json(body, "ingress")

    def status(self) -> str:
        return _guard_json(lambda: _status_value(self._started().status(self._ctx("status")),
                                                 PluginStatus.ready()), "status")

    def stop(self) -> str:
        def body() -> Any:
            plugin = self._started()
            self.plugin = None
            return _status_value(plugin.stop(self._ctx("stop")), PluginStatus.stopped())

        return _guard_json(body, "stop")


class ToolGlue:
    """The tool world's single `call` export: a fresh Plugin per call, as the host runs it."""

    def __init__(self, factory: Callable[[], Plugin], https: Https | None = None, fs: Fs | None = None,
                 request: Request | None = None, websocket: WebSocket | None = None):
        self.instance = InstanceGlue(factory, https, fs, request, websocket)

    def call(self, tool_name: str, input_json: str) -> str:
        started = self.instance.start("null")
        if "error" in (_parse_json(started) or {}):
            return ToolError("failed", f"plugin start failed: {started}").to_output().to_json()
        try:
            return self.instance.handle_tool(tool_name, input_json)
        finally:
            self.instance.plugin = None


def _world_base() -> type:
    try:  # the generated Protocol when building; plain object on the host
        import wit_world  # type: ignore[import-not-found]

        return wit_world.WitWorld
    except (ImportError, AttributeError):
        return object


def instance_world(factory: Callable[[], Plugin]) -> type:
    """The `WitWorld` class for world yoi:plugin/instance@1.0.0, bound to `factory` (usually the
    Plugin subclass itself). All calls share one glue, so state lives as long as the instance."""
    glue = InstanceGlue(factory)
    methods = {
        "start": lambda self, config_json: glue.start(config_json),
        "handle_tool": lambda self, name, input_json: glue.handle_tool(name, input_json),
        "handle_ingress": lambda self, name, event_json: glue.handle_ingress(name, event_json),
        "status": lambda self: glue.status(),
        "stop": lambda self: glue.stop(),
        "glue": glue,
    }
    return type("WitWorld", (_world_base(),), methods)


def tool_world(factory: Callable[[], Plugin]) -> type:
    """The `WitWorld` class for world yoi:plugin/tool@1.0.0 (one `call` export)."""
    glue = ToolGlue(factory)
    return type("WitWorld", (_world_base(),), {"call": lambda self, tool_name, input_json: glue.call(tool_name, input_json),
                                               "glue": glue})


__all__ = [
    "Context", "InstanceGlue", "Plugin", "ToolGlue", "ToolPlugin", "instance_world", "tool", "tool_output",
    "tool_world",
]
