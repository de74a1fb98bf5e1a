"""Guests that call host APIs, built from WAT: a raw module and an instance-world component.

Both pass their tool input, unchanged, as the descriptor of one host API call and return a
ToolOutput whose `content` is the host's answer as a JSON string (escaped in WAT), so a test sees
exactly what the guest received. The component picks the call by tool name: `get` -> https
request, `read`, `ls` -> fs list, `write`.
"""

from __future__ import annotations

from runtime_guests import _RUNTIME, _wat_string

TOOL_FOR_OP = {"request": "get", "read": "read", "list": "ls", "write": "write"}
_INTERFACES = {
    "https": ("yoi:host/https@1.0.0", ("request",)),
    "request": ("yoi:host/request@1.0.0", ("request",)),  # not beside `https` (same op name)
    "fs": ("yoi:host/fs@1.0.0", ("read", "list", "write")),
}
_PREFIX = b'{"summary":"ok","content":"'
_FAILED = b'{"summary":"failed"}'
_READY = b'{"state":"ready"}'
_DONE = b'{"summary":"done"}'

# Copy `len` bytes from `src` to `dst` as the inside of a JSON string; returns the end of output.
_ESCAPE = r"""
    (func $escape (param $src i32) (param $len i32) (param $dst i32) (result i32)
      (local $i i32) (local $b i32)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (if (i32.or (i32.or (i32.eq (local.get $b) (i32.const 34)) (i32.eq (local.get $b) (i32.const 92)))
                    (i32.lt_u (local.get $b) (i32.const 32)))
          (then
            (i32.store8 (local.get $dst) (i32.const 92))
            (i32.store8 offset=1 (local.get $dst) (i32.const 117))
            (i32.store8 offset=2 (local.get $dst) (i32.const 48))
            (i32.store8 offset=3 (local.get $dst) (i32.const 48))
            (i32.store8 offset=4 (local.get $dst) (i32.load8_u offset=64 (i32.shr_u (local.get $b) (i32.const 4))))
            (i32.store8 offset=5 (local.get $dst) (i32.load8_u offset=64 (i32.and (local.get $b) (i32.const 15))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 6))))
          (else
            (i32.store8 (local.get $dst) (local.get $b))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.get $dst))
"""


def _data() -> str:
    return " ".join(f'(data (i32.const {at}) "{_wat_string(text)}")' for at, text in (
        (64, b"0123456789abcdef"), (80, _PREFIX), (120, b'"}'), (128, _FAILED), (160, _READY), (192, _DONE)))


# The canonical options of every lift and lower: memory, allocator and strings of the main instance.
_OPTIONS = '(memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc")) string-encoding=utf8'

# The main core module, instantiated as `$i`: the JSON writer, the escaper, the lifecycle exports
# (answering ready), `failed` and `build` (a ToolOutput whose content is the given bytes).
_MAIN_INSTANCE = f"""  (core module $m
    (memory (export "memory") 2)
    (table $t 1 funcref)
    {_RUNTIME}
    {_data()}
    {_ESCAPE}
    (func (export "lifecycle") (result i32) (call $begin) (call $emit (i32.const 160) (i32.const 17)) (call $finish))
    (func (export "start") (param i32 i32) (result i32)
      (call $begin) (call $emit (i32.const 160) (i32.const 17)) (call $finish))
    (func (export "ingress") (param i32 i32 i32 i32) (result i32)
      (call $begin) (call $emit (i32.const 160) (i32.const 17)) (call $finish))
    (func (export "failed") (result i32) (call $begin) (call $emit (i32.const 128) (i32.const 20)) (call $finish))
    (func (export "build") (param $src i32) (param $len i32) (result i32)
      (call $begin) (call $emit (i32.const 80) (i32.const 27))
      (call $ensure (i32.add (global.get $cur) (i32.add (i32.mul (local.get $len) (i32.const 6)) (i32.const 2))))
      (global.set $cur (call $escape (local.get $src) (local.get $len) (global.get $cur)))
      (call $emit (i32.const 120) (i32.const 2))
      (call $finish)))
  (core instance $i (instantiate $m))"""

# The instance world's exports, lifted from `$i`, except handle-tool from the forwarder `$fw`.
_LIFTS = {
    "start": ('(param "config-json" string)', '$i "start"'),
    "handle-tool": ('(param "name" string) (param "input-json" string)', '$fw "handle-tool"'),
    "handle-ingress": ('(param "name" string) (param "event-json" string)', '$i "ingress"'),
    "status": ("", '$i "lifecycle"'),
    "stop": ("", '$i "lifecycle"'),
}
_LIFTED = "\n".join(
    f'  (func (export "{name}") {params} (result string) (canon lift (core func {core}) {_OPTIONS} '
    f'(post-return (core func $i "cabi_post"))))' for name, (params, core) in _LIFTS.items())


def raw_guest(api: str, op: str, call: bool = True) -> str:
    """A raw `yoi-plugin-wasm-1` module calling `yoi:<api>` `op` with its input (or, with
    `call=False`, importing it but never calling it)."""
    module = f"yoi:{api}"
    body = """
        (local $n i32) (local $rc i32) (local $end i32)
        (local.set $n (call $in_len))
        (drop (call $in_read (i32.const 1024) (local.get $n)))
        (local.set $rc (call $call (i32.const 1024) (local.get $n)))
        (if (i32.eq (local.get $rc) (i32.const -1))
          (then (drop (call $out (i32.const 128) (i32.const 20))) (return)))
        (drop (call $resp_read (i32.const 0x20000) (local.get $rc)))
        (memory.copy (i32.const 0xA0000) (i32.const 80) (i32.const 27))
        (local.set $end (call $escape (i32.const 0x20000) (local.get $rc) (i32.const 0xA001B)))
        (memory.copy (local.get $end) (i32.const 120) (i32.const 2))
        (drop (call $out (i32.const 0xA0000) (i32.sub (i32.add (local.get $end) (i32.const 2)) (i32.const 0xA0000))))
    """ if call else "(drop (call $out (i32.const 128) (i32.const 20)))"
    return f"""(module
  (import "yoi:tool" "input_len" (func $in_len (result i32)))
  (import "yoi:tool" "input_read" (func $in_read (param i32 i32) (result i32)))
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  (import "{module}" "{op}" (func $call (param i32 i32) (result i32)))
  (import "{module}" "response_read" (func $resp_read (param i32 i32) (result i32)))
  (memory (export "memory") 24)
  {_data()}
  {_ESCAPE}
  (func (export "yoi_tool_call") {body}))"""


def component_guest(apis: tuple[str, ...] = ("https", "fs"), call: bool = True) -> str:
    """An instance-world component importing the yoi host interfaces of `apis`; its handle-tool
    calls the one named by the tool (see TOOL_FOR_OP) unless `call=False`."""
    signature = '(func (param "request-json" string) (result string))'
    imports, lowers, fwd_imports, dispatch = [], [], [], []
    for api in apis:
        interface, ops = _INTERFACES[api]
        exports = " ".join(f'(export "{op}" {signature})' for op in ops)
        imports.append(f'  (import "{interface}" (instance ${api} {exports}))')
        for op in ops:
            lowers.append(f'  (core func $h_{op} (canon lower (func ${api} "{op}") {_OPTIONS}))')
            fwd_imports.append(f'    (import "host" "{op}" (func ${op} (param i32 i32 i32)))')
            length = len(TOOL_FOR_OP[op])
            dispatch.append(f"(if (i32.eq (local.get 1) (i32.const {length})) "
                            f"(then (call ${op} (local.get 2) (local.get 3) (i32.const 8))))")
    host_instance = " ".join(f'(export "{op}" (func $h_{op}))' for api in apis for op in _INTERFACES[api][1])
    handle = ("\n      ".join(dispatch) + "\n      (call $build (i32.load (i32.const 8)) (i32.load (i32.const 12)))"
              if call else "(call $failed)")
    return f"""(component
{chr(10).join(imports)}
{_MAIN_INSTANCE}
{chr(10).join(lowers)}
  (core module $fwd
{chr(10).join(fwd_imports)}
    (import "m" "build" (func $build (param i32 i32) (result i32)))
    (import "m" "failed" (func $failed (result i32)))
    (import "m" "memory" (memory 1))
    (func (export "handle-tool") (param i32 i32 i32 i32) (result i32)
      {handle}))
  (core instance $fw (instantiate $fwd (with "host" (instance {host_instance})) (with "m" (instance $i))))
{_LIFTED})"""


def raw_loop_guest(api: str, op: str, times: int = 0, unrolled: bool = False) -> str:
    """A raw module that calls `yoi:<api>` `op` with its input `times` times (0: until stopped),
    ignoring the answers, then writes `{"summary":"done"}`. `unrolled` makes the calls straight-line
    code: wasmtime checks the epoch deadline only at function entries and loop headers, so nothing
    interrupts such a guest between its host calls."""
    call = "(drop (call $call (i32.const 1024) (local.get $n)))"
    again = "(br $again)" if times == 0 else f"(br_if $again (i32.lt_u (local.get $i) (i32.const {times})))"
    calls = " ".join([call] * times) if unrolled else f"""(loop $again
      {call}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      {again})"""
    return f"""(module
  (import "yoi:tool" "input_len" (func $in_len (result i32)))
  (import "yoi:tool" "input_read" (func $in_read (param i32 i32) (result i32)))
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  (import "yoi:{api}" "{op}" (func $call (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  {_data()}
  (func (export "yoi_tool_call")
    (local $n i32) (local $i i32)
    (local.set $n (call $in_len))
    (drop (call $in_read (i32.const 1024) (local.get $n)))
    {calls}
    (drop (call $out (i32.const 192) (i32.const {len(_DONE)})))))"""


def raw_probe_guest(probes: list[tuple[str, str, tuple[int, ...], int]]) -> str:
    """A raw module with one page of memory (it ends at 65536) that makes each probe
    `(module, name, args, expected)` in turn: a call with i32 `args` that must return `expected`.
    It writes `{"summary":"done"}` when all did, `{"summary":"failed"}` at the first that did not."""
    imports, seen, checks = [], set(), []
    for module, name, args, expected in probes:
        func = f"${module.replace(':', '_')}_{name}"
        if func not in seen:
            seen.add(func)
            params = f"(param {' '.join(['i32'] * len(args))}) " if args else ""
            imports.append(f'  (import "{module}" "{name}" (func {func} {params}(result i32)))')
        call_args = " ".join(f"(i32.const {value})" for value in args)
        checks.append(f"(if (i32.ne (call {func} {call_args}) (i32.const {expected})) "
                      f"(then (call $out (i32.const 128) (i32.const {len(_FAILED)})) (return)))")
    if "$yoi_tool_output_write" not in seen:
        imports.append('  (import "yoi:tool" "output_write" '
                       '(func $yoi_tool_output_write (param i32 i32) (result i32)))')
    body = "\n    ".join(checks)
    return f"""(module
{chr(10).join(imports)}
  (memory (export "memory") 1 1)
  {_data()}
  (func $out (param i32 i32) (drop (call $yoi_tool_output_write (local.get 0) (local.get 1))))
  (func (export "yoi_tool_call")
    {body}
    (call $out (i32.const 192) (i32.const {len(_DONE)}))))"""


_WS_TYPES = {
    "open": ('(func (param "request-json" string) (result string))', "(param i32 i32 i32)"),
    "send-text": ('(func (param "handle" u32) (param "text" string) (result string))', "(param i32 i32 i32 i32)"),
    "recv": ('(func (param "handle" u32) (param "timeout-ms" u32) (result string))', "(param i32 i32 i32)"),
    "close": ('(func (param "handle" u32) (result string))', "(param i32 i32)"),
}


def websocket_guest(recv_timeout_ms: int = 500) -> str:
    """An instance-world component importing yoi:host/websocket@1.0.0. Its handle-tool picks the
    call by the tool name's first letter and returns the host's answer as ToolOutput content:
    `o...` opens with the tool input as descriptor (and keeps the handle it answers), `s...`
    sends the input's JSON text on that handle, `r...` receives (waiting `recv_timeout_ms`),
    `c...` closes it."""
    exports = " ".join(f'(export "{op}" {wit})' for op, (wit, _) in _WS_TYPES.items())
    lowers = "\n".join(f'  (core func $h_{op.replace("-", "_")} (canon lower (func $ws "{op}") {_OPTIONS}))'
                       for op in _WS_TYPES)
    imports = "\n".join(f'    (import "host" "{op}" (func ${op.replace("-", "_")} {core}))'
                        for op, (_, core) in _WS_TYPES.items())
    host_instance = " ".join(f'(export "{op}" (func $h_{op.replace("-", "_")}))' for op in _WS_TYPES)
    return f"""(component
  (import "yoi:host/websocket@1.0.0" (instance $ws {exports}))
{_MAIN_INSTANCE}
{lowers}
  (core module $fwd
{imports}
    (import "m" "build" (func $build (param i32 i32) (result i32)))
    (import "m" "memory" (memory 1))
    (global $h (mut i32) (i32.const 0))
    (func $parse (local $p i32) (local $end i32) (local $v i32) (local $b i32)
      (local.set $p (i32.load (i32.const 8)))
      (local.set $end (i32.add (local.get $p) (i32.load (i32.const 12))))
      (if (i32.ne (i32.load8_u offset=2 (local.get $p)) (i32.const 104)) (then (return)))
      (local.set $p (i32.add (local.get $p) (i32.const 10)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $b (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $b) (i32.const 9)))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $b)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
      (global.set $h (local.get $v)))
    (func (export "handle-tool") (param i32 i32 i32 i32) (result i32)
      (local $c i32)
      (local.set $c (i32.load8_u (local.get 0)))
      (if (i32.eq (local.get $c) (i32.const 111))
        (then (call $open (local.get 2) (local.get 3) (i32.const 8)) (call $parse)))
      (if (i32.eq (local.get $c) (i32.const 115))
        (then (call $send_text (global.get $h) (local.get 2) (local.get 3) (i32.const 8))))
      (if (i32.eq (local.get $c) (i32.const 114))
        (then (call $recv (global.get $h) (i32.const {recv_timeout_ms}) (i32.const 8))))
      (if (i32.eq (local.get $c) (i32.const 99))
        (then (call $close (global.get $h) (i32.const 8))))
      (call $build (i32.load (i32.const 8)) (i32.load (i32.const 12)))))
  (core instance $fw (instantiate $fwd (with "host" (instance {host_instance})) (with "m" (instance $i))))
{_LIFTED})"""
