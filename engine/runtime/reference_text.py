"""The reference's words for runtime states and failures (spec §6.4, §6.5, §6.12), in one place.

The engine keeps its own lowercase states inside (`ready`, `started`, `stopped`, `failed`); what
leaves the runtime (status JSON, instance diagnostics) names them as the reference serializes its
Rust variants. A failed guest call is wrapped as the reference wraps it: the call's own words
(``plugin tool `t` from `ref` (digest d)``), then `failed closed:`, then the failure's category
prefix (`WASM execution error:` ...), which each RuntimeFault declares by its kind and, for module
errors, an explicit `category`; a tool call's timeout has its own sentence.
"""

from __future__ import annotations

from engine.runtime.errors import RuntimeFault

LIFECYCLE_NAMES = {"ready": "Ready", "started": "Started", "stopped": "Stopped", "failed": "Failed"}

LEGACY_ADAPTED = "legacy tool runtime adapted behind PluginInstanceRegistry"
TOOL_SURFACE_OFF = "plugin tool surface is not enabled"
TOOL_UNDECLARED = "requested tool is not declared by plugin manifest"
INGRESS_SURFACE_OFF = "plugin ingress surface is not enabled"
INGRESS_UNDECLARED = "requested ingress is not declared by plugin manifest"

# spec §6.12: package -> load error, module -> module error, execution, output (a host failure,
# kind `internal`, is not the guest's and has no category)
CATEGORY_PREFIXES = {
    "package": "package/module load error: ",
    "module": "WASM module error: ",
    "execution": "WASM execution error: ",
    "output": "WASM output error: ",
}
_CATEGORY_OF_KIND = {
    "load": "package",
    "trap": "execution",
    "fuel": "execution",
    "limit": "execution",
    "timeout": "execution",
    "failed": "execution",
    "invalid_output": "output",
}


def lifecycle_name(state: str) -> str:
    return LIFECYCLE_NAMES.get(state, state)


def seconds(milliseconds: int) -> str:
    """`1s`, `2.5s`: a deadline as the reference writes its 1 s tool timeout."""
    return f"{milliseconds / 1000:g}s"


def categorized(fault: RuntimeFault) -> str:
    """The fault's message behind its category prefix (refusals such as `denied` have none)."""
    category = fault.category or _CATEGORY_OF_KIND.get(fault.kind)
    return CATEGORY_PREFIXES.get(category or "", "") + fault.message


def call_failure(what: str, fault: RuntimeFault, timeout_ms: int | None = None) -> RuntimeFault:
    """A failed guest call as the caller sees it (spec §6.5 step 3): ``<what> failed closed:
    <category>: <message>``, or, for a tool call (`timeout_ms` given: the reference times only
    tool calls), a timeout as ``<what> timed out after 1s``."""
    if fault.kind == "timeout" and timeout_ms is not None:
        return RuntimeFault("timeout", f"{what} timed out after {seconds(timeout_ms)}")
    return RuntimeFault(fault.kind, f"{what} failed closed: {categorized(fault)}", category=fault.category)
