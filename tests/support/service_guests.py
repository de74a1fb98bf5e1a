"""Instance components for the current-format service runtime (engine/runtime/service/), built
from WAT like runtime_guests.py's: their handle-ingress answers fixed text in which `{event_id}`
stands for the dispatched event's `correlation_id`, copied from the event the host sends (its
last field, a 36-character UUID when the host made it), so output commands can answer it."""

from __future__ import annotations

from runtime_guests import _RUNTIME, LIFECYCLE_OK, _Data, _reply_code

OPTIONS = '(memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc")) string-encoding=utf8'
ID_BYTES = 36


def _echo_id_code(data: _Data, reply: str) -> str:
    code = ["(call $begin)"]
    for index, piece in enumerate(reply.split("{event_id}")):
        if index:  # the 36 bytes before the envelope's closing `"}`
            code.append(f"(call $emit (i32.sub (i32.add (local.get 2) (local.get 3)) (i32.const {ID_BYTES + 2})) "
                        f"(i32.const {ID_BYTES}))")
        raw = piece.encode()
        if raw:
            code.append(f"(call $emit (i32.const {data.place(raw)}) (i32.const {len(raw)}))")
    code.append("(call $finish)")
    return " ".join(code)


def service_wat(ingress_reply: str, prelude: str = "", start: str = LIFECYCLE_OK) -> str:
    """An instance component: start/status/stop answer `start`, handle-tool counts, and
    handle-ingress runs `prelude` then answers `ingress_reply` (`{event_id}` filled in)."""
    data = _Data()
    tool_reply = '{"summary":"ok {count}"}'
    stop_reply = '{"state":"stopped"}'
    funcs = {
        "start": f'(func (export "start") (param i32 i32) (result i32) {_reply_code(data, start)})',
        "handle-tool": '(func (export "handle-tool") (param i32 i32 i32 i32) (result i32) '
                       f'(global.set $count (i32.add (global.get $count) (i32.const 1))) '
                       f'{_reply_code(data, tool_reply)})',
        "handle-ingress": f'(func (export "handle-ingress") (param i32 i32 i32 i32) (result i32) '
                          f'(global.set $count (i32.add (global.get $count) (i32.const 1))) '
                          f'{prelude} {_echo_id_code(data, ingress_reply)})',
        "status": f'(func (export "status") (result i32) {_reply_code(data, start)})',
        "stop": f'(func (export "stop") (result i32) {_reply_code(data, stop_reply)})',
    }
    params = {"start": '(param "config-json" string)', "handle-tool": '(param "name" string) (param "input-json" string)',
              "handle-ingress": '(param "name" string) (param "event-json" string)', "status": "", "stop": ""}
    lifts = "\n".join(f'  (func (export "{name}") {params[name]} (result string) (canon lift (core func $i "{name}") '
                      f'{OPTIONS} (post-return (core func $i "cabi_post"))))' for name in funcs)
    return f"""(component
  (core module $m
    (memory (export "memory") 2)
    (table $t 1 funcref)
    {_RUNTIME}
    {' '.join(data.segments)}
    {chr(10).join(funcs.values())})
  (core instance $i (instantiate $m))
{lifts})"""


def command(kind: str, payload: str, command_id: str = "cmd-1", event_id: str = "{event_id}",
            requested_at: str = "2026-06-25T00:00:00Z") -> str:
    """One output command envelope as JSON text (`payload` is JSON text)."""
    return (f'{{"correlation_id":"corr-{command_id}","source_event_id":"{event_id}","command_id":"{command_id}",'
            f'"kind":"{kind}","payload":{payload},"requested_at":"{requested_at}"}}')


def output(*commands: str) -> str:
    return '{"accepted":true,"output_commands":[' + ",".join(commands) + "]}"
