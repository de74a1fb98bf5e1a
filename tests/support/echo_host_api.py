"""A throwaway host API, `echo`, added to the registry the way a real one is: one `HostApi` entry
with its grant record, a handler, and its rule (`allowlist_usable`). tests/api_registry runs
`main(FOLDER)` in a fresh process (so the registry is extended before any stage
derives its schemas, facts or linker from it) and checks what it prints.

The script takes an echo package through the real stages: manifest and config schemas, the JSON
Schema, graph, facts, the built-in rules plus the echo rule, the plan, and the runtime, where a
raw core module and an instance component call `echo.say` through the linker and dispatch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine import api_registry
from engine.api_registry import ConstantFact, GrantRecord, HostApi
from engine.api_registry.abi import JSON_CALL


@dataclass(frozen=True)
class EchoGrant(GrantRecord):
    """`grants.echo = [{ prefix = "..." }]`: what the echo API puts before each answer."""

    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]] = {"prefix": {"type": "string", "maxlength": 16}}
    FACTS: ClassVar[Mapping[str, tuple[str, ...]]] = {"echo_grant": ("P", "Prefix")}

    prefix: str = ""

    @classmethod
    def from_table(cls, table: Mapping[str, Any], workspace: str | None = None) -> EchoGrant:
        return cls(table.get("prefix", ""))

    @classmethod
    def table_problems(cls, table: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("prefix", "must not contain `!`")] if "!" in table.get("prefix", "") else []

    @property
    def label(self) -> str:
        return f"prefix={self.prefix}"

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix}

    def graph_attrs(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "label_text": self.label}

    @staticmethod
    def facts(ref: str, attrs: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        yield "echo_grant", (ref, attrs["prefix"])


class EchoHandler:
    """The handler: answers `{"echo": prefix + descriptor}`."""

    def __init__(self, allowlist: tuple[EchoGrant, ...]):
        self.allowlist = allowlist

    @property
    def usable(self) -> bool:
        return bool(self.allowlist)

    def run(self, op: str, descriptor: bytes, deadline: float | None = None) -> str:
        return json.dumps({"echo": self.allowlist[0].prefix + descriptor.decode(), "op": op})


def open_api(allowlist: tuple[EchoGrant, ...], host: Any, owner: str = "") -> EchoHandler:
    return EchoHandler(allowlist)


ECHO = HostApi(
    name="echo",
    summary="answers with what it was given, after the granted prefix",
    interface="yoi:host/echo@1.0.0",
    functions=(("say", JSON_CALL),),
    grant=EchoGrant,
    handler="echo_host_api:open_api",
    descriptor_limit=256,
    descriptor_words="echo request",
    allowlist_missing="granted host_api.echo allowlist is missing",
    raw_module="yoi:echo",
    constants=(ConstantFact("echo_word", ("Word",), (("hello",),)),),
)
ECHO_RULE = 'allowlist_usable(P, "echo") :- echo_grant(P, Prefix), Prefix != "".\n'
MANIFEST = """schema_version = 1
id = "t.echo"
name = "Echo"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "count" },
               { kind = "host_api", api = "echo" }]
[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "tool.wasm"
[[tools]]
name = "count"
description = "Echo through the host."
input_schema = { type = "object" }
"""


def register() -> None:
    """Extend the registry; must run before any other engine module is imported."""
    api_registry.HOST_APIS = (*api_registry.HOST_APIS, ECHO)


def main(folder: Path) -> dict[str, Any]:
    register()
    # Only now the stages load, and derive from the extended registry.
    from dataclasses import replace

    import hostapi_guests
    from runtime_guests import build, package_plan

    from engine.grants.config import parse_config
    from engine.graph.facts import FACT_SCHEMA
    from engine.json_schema import SCHEMAS
    from engine.package.manifest import load_manifest
    from engine.verdict.plans import make_plans
    from engine.runtime import PluginInstanceRegistry
    from rule_cases import judge

    out: dict[str, Any] = {}
    package = folder / "pkg"
    package.mkdir()
    (package / "plugin.toml").write_text(MANIFEST)
    (package / "tool.wasm").write_bytes(build(hostapi_guests.raw_guest("echo", "say")))
    manifest = load_manifest(MANIFEST.encode(), {"tool.wasm"})
    out["manifest_apis"] = [p.value for p in manifest.permissions if p.kind == "host_api"]
    out["config_schema_echo"] = SCHEMAS["config"]()["properties"]["plugins"]["properties"]["enabled"]["items"][
        "properties"
    ]["grants"]["properties"]["echo"]["items"]["properties"]
    out["fact_schema_echo"] = {k: FACT_SCHEMA[k].args for k in ("echo_grant", "echo_word")}
    from engine.package.materialize import load_package_path

    loaded = load_package_path(package)
    config_text = (
        f'[[plugins.enabled]]\nid = "{loaded.identity}"\nsurfaces = ["tool"]\n[plugins.enabled.grants]\n'
        f'id = "{loaded.identity}"\nversion = "1.0.0"\ndigest = "{loaded.digest}"\n'
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "count" }, '
        '{ kind = "host_api", api = "echo" }]\necho = [{ prefix = "p-" }]\n'
    )
    config = parse_config(config_text, "config.toml")
    out["grants_echo"] = [g.to_dict() for g in config.enabled[0].grants.echo]
    try:
        parse_config(config_text.replace('"p-"', '"p!"'), "config.toml")
    except Exception as error:  # noqa: BLE001 - reported to the test
        out["bad_prefix"] = str(error)
    policy = folder / "policy"
    policy.mkdir()
    (policy / "echo.rules").write_text(ECHO_RULE)
    subject, evaluation = judge(package, config, policy_dirs=[policy])
    ref = subject.ref
    out["facts"] = {
        pred: sorted(list(row) for row in evaluation.facts[pred] if "echo" in json.dumps(row))
        for pred in ("host_api", "host_interface", "raw_module_api", "echo_grant", "grant_section")
    }
    out["facts"]["echo_word"] = sorted(list(row) for row in evaluation.facts["echo_word"])
    out["raw_imports"] = sorted(row[1] for row in evaluation.facts["raw_import"] if row[0] == "yoi:echo")
    out["status"] = evaluation.value("status", ref)
    out["denies"] = sorted(c.code for c in evaluation.conclusions(ref) if c.severity == "deny")
    (plan,) = make_plans(evaluation)
    out["plan_host_apis"] = list(plan.host_apis)
    out["plan_echo_allowlist"] = plan.to_dict()["echo_allowlist"]
    # The runtime: the raw module through the linker and dispatch, then an instance component.
    hostapi_guests._INTERFACES["echo"] = (ECHO.interface, ECHO.operations)
    hostapi_guests.TOOL_FOR_OP["say"] = "say"
    component = package_plan(folder / "comp", build(hostapi_guests.component_guest(("echo",))), tools=("say",),
                             host_apis=("echo",))
    component = replace(component, echo_allowlist=(EchoGrant("c-"),))
    with PluginInstanceRegistry([plan, component]) as registry:
        raw_output = registry.call_tool(ref, "count", {"n": 1})
        component_output = registry.call_tool(component.ref, "say", {"n": 2})
    out["raw_answer"] = json.loads(raw_output["content"])
    out["component_answer"] = json.loads(component_output["content"])
    return out

