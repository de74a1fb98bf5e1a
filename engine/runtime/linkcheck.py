"""Link-time type check of a component's host imports (issue 17 point 8).

wasmtime-py's component linker takes host functions without types: a guest importing
`yoi:host/fs@1.0.0` `read` as `func(x: u32) -> u32` links, and fails only when it calls (a lift
error, a trap). The static check (`check`) compares signatures, but the runtime does not rely on
that: before instantiation each imported host function is compared with the signature the
host-API registry gives it (engine/api_registry). Parameter names are not part of the ABI, so
only the types are compared.
"""

from __future__ import annotations

import re
from typing import Any

from engine import api_registry
from engine.runtime.errors import RuntimeFault

_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*: ")


def _type_name(ty: Any) -> str:
    return "_" if ty is None else type(ty).__name__.lower()


def _signature(func_type: Any) -> str:
    params = ", ".join(f"{name}: {_type_name(ty)}" for name, ty in func_type.params)
    result = "" if func_type.result is None else f" -> {_type_name(func_type.result)}"
    return f"func({params}){result}"


def _types_only(signature: str) -> str:
    return _PARAM_NAME.sub("", signature)


def check_host_import_types(component_type: Any, engine: Any) -> None:
    """Refuse (kind `load`) a yoi host interface import whose shape or function types differ from
    the registry's."""
    from wasmtime.component import ComponentInstanceType, FuncType

    for name, extern in component_type.imports(engine).items():
        api = api_registry.by_interface(name)
        if api is None:
            continue  # not a yoi host interface: check_component_imports refuses it by name
        provided = dict(api.functions)
        instance = extern.ty
        if not isinstance(instance, ComponentInstanceType):
            raise RuntimeFault("load", f"component import `{name}` must be an instance of the host interface")
        for func_name, item in instance.exports(engine).items():
            expected = provided.get(func_name)
            if expected is None:
                raise RuntimeFault(
                    "load", f"component import `{name}` function `{func_name}` is not provided by the host"
                )
            if not isinstance(item.ty, FuncType):
                raise RuntimeFault("load", f"component import `{name}` item `{func_name}` must be a function")
            found = _signature(item.ty)
            if _types_only(found) != _types_only(expected):
                raise RuntimeFault(
                    "load",
                    f"component import `{name}` function `{func_name}` has type {found}; the host provides {expected}",
                )
