"""Link-time type check of a component's host imports (issue 17 point 8).

wasmtime-py's component linker takes host functions without types: a guest importing
`yoi:host/fs@1.0.0` `read` as `func(x: u32) -> u32` links, and fails only when it calls (a lift
error, a trap). The static check (`check`) compares signatures, but the runtime must not rely on
the artifact being the one that was checked in that respect, so before instantiation each
imported host function is compared with what the host provides: every yoi host function takes one
string (the request JSON) and returns one string (the response JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.runtime.errors import RuntimeFault

HOST_SIGNATURE = "func(request-json: string) -> string"


def _type_name(ty: Any) -> str:
    return "none" if ty is None else type(ty).__name__.lower()


def _signature(func_type: Any) -> str:
    params = ", ".join(f"{name}: {_type_name(ty)}" for name, ty in func_type.params)
    return f"func({params}) -> {_type_name(func_type.result)}"


def check_host_import_types(
    component_type: Any, engine: Any, interfaces: Mapping[str, tuple[str, tuple[str, ...]]]
) -> None:
    """Refuse (kind `load`) a yoi host interface import whose shape or function types differ from
    the host's. `interfaces`: interface name -> (API, its functions)."""
    from wasmtime.component import ComponentInstanceType, FuncType
    from wasmtime.component._types import String

    for name, extern in component_type.imports(engine).items():
        known = interfaces.get(name)
        if known is None:
            continue  # not a yoi host interface: check_component_imports refuses it by name
        instance = extern.ty
        if not isinstance(instance, ComponentInstanceType):
            raise RuntimeFault("load", f"component import `{name}` must be an instance of the host interface")
        for func_name, item in instance.exports(engine).items():
            if func_name not in known[1]:
                raise RuntimeFault(
                    "load", f"component import `{name}` function `{func_name}` is not provided by the host"
                )
            func_type = item.ty
            if not isinstance(func_type, FuncType):
                raise RuntimeFault("load", f"component import `{name}` item `{func_name}` must be a function")
            params = func_type.params
            if len(params) != 1 or not isinstance(params[0][1], String) or not isinstance(func_type.result, String):
                raise RuntimeFault(
                    "load",
                    f"component import `{name}` function `{func_name}` has type {_signature(func_type)}; "
                    f"the host provides {HOST_SIGNATURE}",
                )
