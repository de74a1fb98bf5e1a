"""Build runtime test guests from WAT and wrap them as packages with plans.

`instance_wat` writes an instance-world component whose five exports each run a small WAT
prelude (count, trap, spin, grow, ...) and then return a reply text, where `{count}` stands for
the guest's call counter (state kept in a core global). `tool_wat` writes a tool-world component
the same way, `forwarding_wat` a component whose exports pass their second argument to an
imported yoi host function. `package_plan` writes a package folder and makes the Plan for it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import wasmtime

from engine.package.digest import package_digest
from engine.package.materialize import read_directory
from engine.plan import Plan, PlannedIngress, PlannedService, PlannedTool, RestartPolicy, RuntimeLimits

INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"
TOOL_WORLD = "yoi:plugin/tool@1.0.0"

# preludes
COUNT = "(global.set $count (i32.add (global.get $count) (i32.const 1)))"
TRAP = "unreachable"
SPIN = "(loop $spin (br $spin))"


def loop(iterations: int) -> str:
    """Count to `iterations` (about 8 fuel units per iteration)."""
    return ("(global.set $i (i32.const 0)) (loop $l (global.set $i (i32.add (global.get $i) (i32.const 1))) "
            f"(br_if $l (i32.lt_u (global.get $i) (i32.const {iterations}))))")


def grow_memory(pages: int) -> str:
    """Grow linear memory by `pages` or trap when the store limit refuses."""
    return f"(if (i32.eq (memory.grow (i32.const {pages})) (i32.const -1)) (then unreachable))"


def grow_table(elements: int) -> str:
    """Grow the table by `elements` or trap when the store limit refuses."""
    return f"(if (i32.eq (table.grow $t (ref.null func) (i32.const {elements})) (i32.const -1)) (then unreachable))"


def when_name_is(text: str, prelude: str) -> str:
    """Run `prelude` only when the first string argument (a tool or ingress name) has the byte
    length of `text`: enough to give one guest a fast and a slow tool."""
    return f"(if (i32.eq (local.get 1) (i32.const {len(text.encode())})) (then {prelude}))"


_PARAMS = {
    "start": 2, "handle-tool": 4, "handle-ingress": 4, "status": 0, "stop": 0, "call": 4,
}
_WIT_PARAMS = {
    "start": '(param "config-json" string)',
    "handle-tool": '(param "name" string) (param "input-json" string)',
    "handle-ingress": '(param "name" string) (param "event-json" string)',
    "status": "", "stop": "",
    "call": '(param "tool-name" string) (param "input-json" string)',
}

_RUNTIME = r"""
    (global $heap (mut i32) (i32.const 65536))
    (global $out (mut i32) (i32.const 0))
    (global $cur (mut i32) (i32.const 0))
    (global $count (mut i32) (i32.const 0))
    (global $i (mut i32) (i32.const 0))
    (func $ensure (param $end i32)
      (local $have i32)
      (local.set $have (i32.mul (memory.size) (i32.const 65536)))
      (if (i32.gt_u (local.get $end) (local.get $have))
        (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have))
                                                            (i32.const 16)) (i32.const 1))) (i32.const -1))
                (then unreachable)))))
    (func (export "cabi_realloc") (param $optr i32) (param $osize i32) (param $align i32) (param $nsize i32)
      (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (call $ensure (i32.add (local.get $p) (local.get $nsize)))
      (global.set $heap (i32.add (local.get $p) (local.get $nsize)))
      (if (local.get $optr) (then (memory.copy (local.get $p) (local.get $optr) (local.get $osize))))
      (local.get $p))
    (func $begin (global.set $out (global.get $heap)) (global.set $cur (global.get $heap)))
    (func $emit (param $src i32) (param $len i32)
      (call $ensure (i32.add (global.get $cur) (local.get $len)))
      (memory.copy (global.get $cur) (local.get $src) (local.get $len))
      (global.set $cur (i32.add (global.get $cur) (local.get $len))))
    (func $emit_u32 (param $v i32)
      (local $p i32)
      (local.set $p (i32.const 48))
      (loop $digit
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
        (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
        (br_if $digit (local.get $v)))
      (call $emit (local.get $p) (i32.sub (i32.const 48) (local.get $p))))
    (func $finish (result i32)
      (global.set $heap (global.get $cur))
      (i32.store (i32.const 0) (global.get $out))
      (i32.store (i32.const 4) (i32.sub (global.get $cur) (global.get $out)))
      (i32.const 0))
    (func (export "cabi_post") (param i32) (global.set $heap (i32.const 65536)))
"""


def _wat_string(data: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:02x}" for b in data)


class _Data:
    """Constant text laid out in data segments from offset 64 up (below the 64 KiB heap start)."""

    def __init__(self) -> None:
        self.segments: list[str] = []
        self.offset = 64

    def place(self, data: bytes) -> int:
        at = self.offset
        self.segments.append(f'(data (i32.const {at}) "{_wat_string(data)}")')
        self.offset += len(data)
        return at


def _reply_code(data: _Data, reply: str) -> str:
    code = ["(call $begin)"]
    for index, piece in enumerate(reply.split("{count}")):
        if index:
            code.append("(call $emit_u32 (global.get $count))")
        raw = piece.encode("utf-8")
        if raw:
            code.append(f"(call $emit (i32.const {data.place(raw)}) (i32.const {len(raw)}))")
    code.append("(call $finish)")
    return " ".join(code)


def _component(exports: dict[str, tuple[str, str]], memory_pages: int = 2,
               forward: tuple[str, str] | None = None) -> str:
    data = _Data()
    funcs = []
    for name, (prelude, reply) in exports.items():
        params = " ".join(["(param i32)"] * _PARAMS[name])
        funcs.append(f'(func (export "{name}") {params} (result i32) {prelude} {_reply_code(data, reply)})')
    if data.offset > 65536:
        raise ValueError("reply texts exceed the 64 KiB data area")
    options = ('(memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc")) string-encoding=utf8')
    lifts = [f'  (func (export "{name}") {_WIT_PARAMS[name]} (result string) (canon lift (core func $i "{name}") '
             f'{options} (post-return (core func $i "cabi_post"))))' for name in exports]
    head = tail = ""
    if forward is not None:
        interface, func = forward
        head = (f'  (import "{interface}" (instance $host (export "{func}" '
                f'(func (param "request-json" string) (result string)))))')
        tail = f"""
  (core func $lowered (canon lower (func $host "{func}") {options}))
  (core module $fwd
    (import "host" "f" (func $f (param i32 i32 i32)))
    (func (export "forward") (param i32 i32 i32 i32) (result i32)
      (call $f (local.get 2) (local.get 3) (i32.const 8)) (i32.const 8)))
  (core instance $fw (instantiate $fwd (with "host" (instance (export "f" (func $lowered))))))"""
        for name in ("handle-tool", "handle-ingress"):
            lifts.append(f'  (func (export "{name}") {_WIT_PARAMS[name]} (result string) (canon lift '
                         f'(core func $fw "forward") {options} (post-return (core func $i "cabi_post"))))')
    return f"""(component
{head}
  (core module $m
    (memory (export "memory") {memory_pages})
    (table $t 1 funcref)
    {_RUNTIME}
    {' '.join(data.segments)}
    {chr(10).join(funcs)})
  (core instance $i (instantiate $m)){tail}
{chr(10).join(lifts)})"""


LIFECYCLE_OK = '{"state":"ready","data":{"count":{count}}}'
TOOL_OK = '{"summary":"count {count}","content":"{\\"count\\":{count}}"}'
INGRESS_OK = '{"accepted":true,"count":{count}}'


def instance_wat(start=("", LIFECYCLE_OK), tool=(COUNT, TOOL_OK), ingress=(COUNT, INGRESS_OK),
                 status=("", LIFECYCLE_OK), stop=("", '{"state":"stopped","data":{"count":{count}}}'),
                 memory_pages: int = 2) -> str:
    """An instance-world component; each argument is (prelude WAT, reply text)."""
    return _component({"start": start, "handle-tool": tool, "handle-ingress": ingress, "status": status,
                       "stop": stop}, memory_pages)


def tool_wat(call=(COUNT, TOOL_OK)) -> str:
    """A tool-world component (instantiated per call, so `{count}` is always 1)."""
    return _component({"call": call})


def forwarding_wat(interface: str, func: str) -> str:
    """An instance component whose handle-tool and handle-ingress pass their second argument to
    the imported `interface#func` and return its answer unchanged: what the host API returned."""
    lifecycle = {name: ("", LIFECYCLE_OK) for name in ("start", "status", "stop")}
    return _component(lifecycle, forward=(interface, func))


def fault_of(call, *args):
    """The RuntimeFault raised by `call(*args)` (fails the test when nothing is raised)."""
    import pytest

    from engine.runtime import RuntimeFault

    with pytest.raises(RuntimeFault) as caught:
        call(*args)
    return caught.value


def build(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


def package_plan(folder: Path, artifact: bytes, *, runtime: str = "instance", tools=("count",),
                 services=(), ingresses=(), surfaces=None, host_apis=(), config_json="null",
                 limits: RuntimeLimits | None = None, restart: RestartPolicy | None = None,
                 ref: str | None = None) -> Plan:
    """Write a package folder holding `artifact` and return the Plan approving it.

    `ingresses` are PlannedIngress values (or names, which accept kind `tick` from any source).
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = {"instance": "guest.component.wasm", "tool-component": "guest.component.wasm", "raw": "guest.wasm"}[runtime]
    (folder / name).write_bytes(artifact)
    (folder / "plugin.toml").write_text(f'# runtime test package\nid = "{folder.name}"\n')
    kind, world = {"instance": ("wasm-component", INSTANCE_WORLD), "tool-component": ("wasm-component", TOOL_WORLD),
                   "raw": ("wasm", "yoi-plugin-wasm-1")}[runtime]
    planned_ingresses = tuple(i if isinstance(i, PlannedIngress) else PlannedIngress(i, "", ("tick",), (), None)
                              for i in ingresses)
    if surfaces is None:
        surfaces = tuple(s for s, items in (("tool", tools), ("service", services), ("ingress", ingresses)) if items)
    plan = Plan(
        ref=ref or f"project:{folder.name}", source="project", version="0.1.0",
        digest=package_digest(read_directory(folder)), package_path=str(folder),
        classification={"instance": "instance", "tool-component": "legacy-component-tool",
                        "raw": "legacy-raw-tool"}[runtime],
        runtime_kind=kind, abi_or_world=world, artifact_path=name,
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        enabled_surfaces=tuple(surfaces), authorized_surfaces=tuple(surfaces),
        tools=tuple(PlannedTool(t, f"tool {t}", '{"type":"object"}', False) for t in tools),
        services=tuple(PlannedService(s, f"service {s}", "host-managed") for s in services),
        ingresses=planned_ingresses, host_apis=tuple(host_apis), config_json=config_json,
    )
    return replace(plan, limits=limits or plan.limits, restart=restart or plan.restart)
