"""The templates `yoi plugin new` writes, rendered in memory before anything touches the disk.

A template is a folder of `templates/<name>/` (plugin.toml and sources, with `__PLUGIN_ID__`
where the id goes and `__TOOL_NAME__`, `__SERVICE_NAME__`, `__INGRESS_NAME__` where the names of
its items go: derived from the id, so two packages made from templates never collide in one
workspace), plus what every template gets: the WIT files of its world from the engine's
own `wit/`, a placeholder artifact that `check` recognizes (so a fresh template is `partial`, not
broken), and a README whose enablement is derived from the rendered manifest, so the two always
agree.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine import api_registry
from engine.api_registry.websocket import websocket_source
from engine.artifact.placeholder import INSTANCE_TEMPLATE_PLACEHOLDER, TOOL_TEMPLATE_PLACEHOLDER
from engine.authoring.python_build import PYTHON_MEMORY_BYTES, PYTHON_TABLE_ELEMENTS
from engine.package.paths import normalize_archive_path
from engine.resources import data_dir, wit_dir

if TYPE_CHECKING:
    from engine.targets import TargetProfile

ID_MARK = "__PLUGIN_ID__"
# Item names are model-visible tool names too: kept to what every model API accepts as a function
# name ([A-Za-z0-9_-], at most 64 bytes), which also satisfies the service/ingress safe-id rule.
ITEM_NAME_MAX_BYTES = 64
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_-]+")
ARTIFACT = "plugin.component.wasm"
HOST_WIT = "deps/yoi-host/yoi-host-v1.wit"


@dataclass(frozen=True)
class Template:
    name: str
    default_id: str
    language: str  # python | wat
    world_file: str  # the bundled WIT file that defines the template's world
    summary: str
    # placeholder -> the suffix of the item name it stands for (`acme.counter` + `count` -> `acme_counter_count`)
    items: tuple[tuple[str, str], ...]

    @property
    def instance(self) -> bool:
        return "instance" in self.world_file

    @property
    def placeholder(self) -> bytes:
        return INSTANCE_TEMPLATE_PLACEHOLDER if self.instance else TOOL_TEMPLATE_PLACEHOLDER

    def item_names(self, plugin_id: str) -> dict[str, str]:
        """Placeholder -> item name for a package with id `plugin_id`."""
        return {mark: item_name(plugin_id, suffix) for mark, suffix in self.items}


INSTANCE_ITEMS = (("__TOOL_NAME__", "count"), ("__SERVICE_NAME__", "service"), ("__INGRESS_NAME__", "events"))
TOOL_ITEMS = (("__TOOL_NAME__", "echo"),)
SERVICE_ITEMS = (("__SERVICE_NAME__", "service"), ("__INGRESS_NAME__", "socket"))


def item_name(plugin_id: str, suffix: str) -> str:
    """`<id with every other character as _>_<suffix>`; an id too long for ITEM_NAME_MAX_BYTES is
    cut and given 8 hex digits of its sha256, so distinct ids still give distinct names."""
    stem = _NOT_NAME_CHAR.sub("_", plugin_id)
    name = f"{stem}_{suffix}"
    if len(name) <= ITEM_NAME_MAX_BYTES:
        return name
    tag = hashlib.sha256(plugin_id.encode()).hexdigest()[:8]
    return f"{stem[: ITEM_NAME_MAX_BYTES - len(suffix) - len(tag) - 2]}_{tag}_{suffix}"


TEMPLATES = {
    t.name: t
    for t in (
        Template(
            "python-instance",
            "example.python_instance",
            "python",
            "yoi-plugin-instance-v1.wit",
            "An instance plugin in Python (yoi_pdk): one Tool, one Service and one Ingress sharing "
            "a counter kept in the instance.",
            INSTANCE_ITEMS,
        ),
        Template(
            "python-service",
            "example.python_service",
            "python",
            "yoi-plugin-instance-v1.wit",
            "A Service plugin in Python (yoi_pdk), in the format of yoi today: the host opens and owns "
            "a WebSocket named by a `websocket:` ingress source, and the guest answers each text "
            "message with a `websocket_send` output command.",
            SERVICE_ITEMS,
        ),
        Template(
            "python-tool",
            "example.python_tool",
            "python",
            "yoi-plugin-tool-v1.wit",
            "A Tool-only plugin in Python (yoi_pdk): a stateless echo tool.",
            TOOL_ITEMS,
        ),
        Template(
            "wat-instance",
            "example.wat_instance",
            "wat",
            "yoi-plugin-instance-v1.wit",
            "An instance plugin hand-written in WebAssembly text: one Tool, one Service and one "
            "Ingress sharing a counter kept in core globals.",
            INSTANCE_ITEMS,
        ),
        Template(
            "wat-tool",
            "example.wat_tool",
            "wat",
            "yoi-plugin-tool-v1.wit",
            "A Tool-only plugin hand-written in WebAssembly text: a stateless echo tool.",
            TOOL_ITEMS,
        ),
    )
}


def template_names() -> tuple[str, ...]:
    return tuple(TEMPLATES)


def _template_files(template: Template) -> list[tuple[str, bytes]]:
    root = data_dir("templates") / template.name
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        files.append((path.relative_to(root).as_posix(), path.read_bytes()))
    return files


def render(template: Template, plugin_id: str, target: TargetProfile | None = None) -> dict[str, bytes]:
    """Every file of the new package, by relative POSIX path, in the order they are listed; for
    `target`, its manifest as that host reads it (engine/authoring/for_target.py)."""
    files: dict[str, bytes] = {}
    marks = {ID_MARK: plugin_id, **template.item_names(plugin_id)}
    for name, data in _template_files(template):
        text = data
        for mark, value in marks.items():
            text = text.replace(mark.encode(), value.encode())
        files[name] = text
    if target is not None:
        from engine.authoring.for_target import manifest_for

        files["plugin.toml"] = manifest_for(files["plugin.toml"].decode(), template.instance, target).encode()
    for name in (template.world_file, HOST_WIT):
        files[f"wit/{name}"] = (wit_dir() / name).read_bytes()
    files[ARTIFACT] = template.placeholder
    files["README.md"] = readme(template, plugin_id, tomllib.loads(files["plugin.toml"].decode()), target).encode()
    for name in files:  # template paths are relative with only normal components (spec §5.8)
        if normalize_archive_path(name) != name:
            raise ValueError(f"template {template.name} holds an unsafe path")
    return files


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _permission_toml(permission: dict) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_string(v)}" for k, v in permission.items()) + " }"


def enablement(
    template: Template,
    manifest: dict,
    digest: str = "sha256:<digest printed by pack>",
    target: TargetProfile | None = None,
) -> str:
    """The `[[plugins.enabled]]` entry granting exactly what the manifest requests (for `target`:
    without the keys that host does not read, such as the engine's raised `limits`)."""
    ref = f"project:{manifest['id']}"
    surfaces = ", ".join(_toml_string(s) for s in manifest.get("surfaces", []))
    permissions = "".join(f"  {_permission_toml(p)},\n" for p in manifest.get("permissions", []))
    lines = [
        "[[plugins.enabled]]",
        f"id = {_toml_string(ref)}",
        f"digest = {_toml_string(digest)}",
        f"surfaces = [{surfaces}]",
        "",
    ]
    reads_limits = target is None or ("plugins.enabled", "limits") in target.config_keys
    if template.language == "python" and reads_limits:
        lines += [
            "[plugins.enabled.limits]",
            f"memory_bytes = {PYTHON_MEMORY_BYTES}  # a Python guest starts with about 12.4 MiB",
            f"table_elements = {PYTHON_TABLE_ELEMENTS}  # and about 5,700 function table entries",
            "",
        ]
    lines += [
        "[plugins.enabled.grants]",
        f"id = {_toml_string(ref)}",
        f"version = {_toml_string(manifest['version'])}",
        f"digest = {_toml_string(digest)}",
        "permissions = [",
        permissions.rstrip("\n"),
        "]",
    ]
    # Targets the manifest declares (`[[websocket]]`, ...) are granted as declared: a call must lie
    # in target ∩ grant, so the grant is the operator's to narrow, never wider than asked.
    for api in api_registry.manifest_tables():
        for declared in manifest.get(api.name, []):
            lines += ["", f"[[plugins.enabled.grants.{api.name}]]"]
            lines += [f"{key} = {json.dumps(value)}" for key, value in declared.items()]
    return "\n".join(lines) + "\n"


def _first_tool(manifest: dict) -> str:
    tools = manifest.get("tools") or [{"name": "TOOL"}]
    return tools[0]["name"]


def _serve_lines(manifest: dict) -> list[str]:
    ref = f"project:{manifest['id']}"
    lines = []
    for tool in manifest.get("tools", []):
        lines.append({"id": 1, "op": "call", "plugin": ref, "tool": tool["name"], "input": {}})
    for ingress in manifest.get("ingresses", []):
        kind = (ingress.get("event_kinds") or ["example"])[0]
        source = (ingress.get("sources") or ["readme"])[0]
        lines.append(
            {
                "id": 2,
                "op": "ingress",
                "plugin": ref,
                "ingress": ingress["name"],
                "event": {"kind": kind, "source": source, "payload": {}},
            }
        )
    lines.append({"id": 3, "op": "status", "plugin": ref})
    lines.append({"id": 4, "op": "stop", "plugin": ref})
    return [json.dumps(line) for line in lines]


def _websocket_note(manifest: dict) -> str:
    """What a manifest with host-owned WebSocket sources needs the reader to know."""
    sources = [url for i in manifest.get("ingresses", []) for s in i.get("sources", []) if (url := websocket_source(s))]
    if not sources:
        return ""
    return f"""
## The WebSocket

When the instance starts, the host opens `{sources[0]}` (the ingress source in
`plugin.toml`) and keeps it open; if it drops, the host reconnects under the restart policy and
`status` shows the connection's state and last error. Each text message reaches `handle_ingress`
as a `websocket_text` event; the `websocket_send` output command the guest returns is sent on the
same connection. To try it against your own server, point the ingress source and the
`[[websocket]]` target at it (and the grant in the enablement below, which copies the target).
"""


def readme(template: Template, plugin_id: str, manifest: dict, target: TargetProfile | None = None) -> str:
    build_note = (
        "   Python guests are built with componentize-py (the engine's `pdk` extra: `yoi plugin new` and\n"
        "   `yoi plugin build` print the command that installs it for your installation of the engine), with\n"
        "   WASI replaced by trapping stubs: the guest gets no clock, randomness, files or network of its\n"
        "   own; it reaches the outside only through the granted host APIs (`ctx.https`, `ctx.request`,\n"
        "   `ctx.websocket`, `ctx.fs`). A build takes a few seconds and writes an ~18 MB artifact.\n"
        if template.language == "python"
        else "   WAT needs nothing but the engine: wasmtime assembles `src/plugin.component.wat`.\n"
    )
    source = "src/app.py" if template.language == "python" else "src/plugin.component.wat"
    serve = "\n".join(f"       {line}" for line in _serve_lines(manifest))
    for_target = f" --target {target.name}" if target is not None else ""
    return f"""# {plugin_id}

Generated by `yoi plugin new {template.name}{for_target}`. {template.summary}

- `plugin.toml`: the manifest (what the package declares and requests).
- `{source}`: the guest source.
- `wit/`: the world the artifact must implement (`{manifest["runtime"]["world"]}`) and the host interfaces.
- `{ARTIFACT}`: a placeholder until you build; `yoi plugin check .` reports the package as
  `partial` until then. Do not enable it before building.
{_websocket_note(manifest)}
## Next steps

Below, `WS` is your workspace (the folder whose `.yoi/` holds the project plugin store and config).

1. Develop: `dev` builds the artifact, runs the package under an in-memory development
   enablement (never written anywhere) and reloads it whenever you save; a terminal gets a
   prompt (`call {_first_tool(manifest)} {{}}`, `status`, `help`):

       yoi plugin dev .

{build_note}   `yoi plugin build .` builds and checks without running anything.

2. Pack it into the workspace's project store; `pack` prints the package digest:

       yoi plugin pack . --output WS/.yoi/plugins/{plugin_id}.yoi-plugin

3. Enable it: paste this into `WS/.yoi/config.toml`, with the digest from step 2 in both places:

```toml
{enablement(template, manifest, target=target).rstrip()}
```

4. Check it exactly as a host will judge it (exit 0 when it may run):

       yoi plugin check WS/.yoi/plugins/{plugin_id}.yoi-plugin --grants WS/.yoi/config.toml{for_target}

5. Run it: `yoi plugin serve --workspace WS` reads one JSON request per line on stdin and answers
   one line each, for example:

{serve}

See docs/authoring.md (the PDK, the manifest) and docs/runtime.md (lifecycle, limits) of
yoi-plugin-engine.
"""
