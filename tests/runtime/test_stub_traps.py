"""A guest that calls a stubbed WASI function gets a fault that names the function, the Python call
that reached it, and what to use instead (engine/runtime/stub_traps.py).

The guests are built from WAT with the frame structure of a componentize-py `--stub-wasi` guest: a
nameless stub module whose function is `unreachable`, a `libc.so` module whose wrapper
`wall_clock_now` calls it, and a `libpython3.14.so` module whose `time_time` calls the wrapper.
tests/authoring/test_reproducible.py checks the wrapper table against a real componentize-py build.
"""

from __future__ import annotations

import pytest
from runtime_guests import build, fault_of, package_plan

from engine.runtime.stub_traps import ALTERNATIVES, PYTHON_CALLS, explain, interface_of
from engine.runtime.wasi_symbols import WASI_FUNCTIONS


def stub_guest(wrapper: str, python: str, interface: str = "wasi:clocks/wall-clock@0.2.0", own: str = "",
               stub: str = "unreachable") -> str:
    """A tool-world component: `call` runs python -> wrapper -> stub (`stub`: its body). `own`
    names a function of the guest's own between the stub and the wrapper."""
    own_func = f"(func ${own} (call $w))" if own else ""
    callee = f"${own}" if own else "$w"
    return f"""(component
  (core module $stub (func (export "f") {stub}))
  (core instance $s (instantiate $stub))
  (core module $libc.so
    (import "{interface}" "f" (func $w))
    {own_func}
    (func ${wrapper} (export "wrapper") (call {callee})))
  (core instance $c (instantiate $libc.so (with "{interface}" (instance $s))))
  (core module $libpython3.14.so
    (import "libc" "wrapper" (func $wrapper))
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
    (func ${python} (call $wrapper))
    (func (export "call") (param i32 i32 i32 i32) (result i32) (call ${python}) (i32.const 0)))
  (core instance $p (instantiate $libpython3.14.so (with "libc" (instance $c))))
  (func (export "call") (param "tool-name" string) (param "input-json" string) (result string)
    (canon lift (core func $p "call") (memory (core memory $p "memory"))
      (realloc (core func $p "cabi_realloc")) string-encoding=utf8)))"""


def fault_for(make_registry, tmp_path, wat: str):
    plan = package_plan(tmp_path / "guest", build(wat), runtime="tool-component")
    return fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})


@pytest.mark.parametrize(
    ("wrapper", "python", "function", "call", "advice"),
    [
        ("wall_clock_now", "time_time", "wasi:clocks/wall-clock#now", "time.time()", "`created_at`"),
        ("random_get_random_bytes", "os_urandom", "wasi:random/random#get-random-bytes", "os.urandom()", "input"),
        ("stdout_get_stdout", "builtin_print", "wasi:cli/stdout#get-stdout", "print()", "tool output"),
        ("filesystem_preopens_get_directories", "_io_open", "wasi:filesystem/preopens#get-directories", "open()",
         "`ctx.fs`"),
    ],
)
def test_a_stub_trap_names_the_wasi_function_the_python_call_and_the_alternative(
    make_registry, tmp_path, wrapper, python, function, call, advice
):
    fault = fault_for(make_registry, tmp_path, stub_guest(wrapper, python))
    assert fault.kind == "trap"
    assert "wasm `unreachable` instruction executed" in fault.message  # the raw fact stays
    assert f"the guest called `{function}` (Python `{call}`), which yoi hosts stub out" in fault.message
    assert advice in fault.message and len(fault.message.encode()) <= 512


def test_an_unknown_python_caller_still_names_the_wasi_function(make_registry, tmp_path):
    fault = fault_for(make_registry, tmp_path, stub_guest("monotonic_clock_now", "some_c_function"))
    assert "the guest called `wasi:clocks/monotonic-clock#now`, which yoi hosts stub out: no clock here" in fault.message


def test_the_guests_own_traps_are_not_mistaken_for_stub_calls(make_registry, tmp_path):
    # a named function of the guest's own traps before any wrapper: not a stub call
    fault = fault_for(make_registry, tmp_path, stub_guest("wall_clock_now", "time_time", own="my_helper"))
    assert fault.kind == "trap" and "the guest called" not in fault.message
    # a wrapper-like name that is no wasi-libc wrapper
    fault = fault_for(make_registry, tmp_path, stub_guest("wall_clock_later", "time_time"))
    assert "the guest called" not in fault.message


def test_only_unreachable_traps_are_read(make_registry, tmp_path):
    """The trap code decides (engine/runtime/traps.py): a guest that runs out of fuel inside the
    very same frames is a fuel fault, not a stub call."""
    fault = fault_for(make_registry, tmp_path, stub_guest("wall_clock_now", "time_time", stub="(loop $l (br $l))"))
    assert fault.kind == "fuel" and "the guest called" not in fault.message
    assert explain("") is None and explain("wasm `unreachable` instruction executed") is None


def test_every_wasi_interface_of_the_table_has_an_alternative():
    interfaces = {interface_of(function) for function in WASI_FUNCTIONS.values()}
    assert interfaces <= set(ALTERNATIVES), sorted(interfaces - set(ALTERNATIVES))
    assert set(ALTERNATIVES) - interfaces <= {"wasi:random/insecure", "wasi:random/insecure-seed"}
    assert all(call.endswith("()") for call in PYTHON_CALLS.values())
