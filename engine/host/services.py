"""Host-managed services start when the host starts (spec §6.2; issue 18 point 2).

The reference's install creates a plugin's instance on its first authorized surface and calls
`start`, so a Service-only plugin is running right after startup. Here every planned package
with an authorized Service (a plan holds only authorized services) is started when the host
starts, in parallel across packages; a package whose start fails is reported with its fault and
never stops the others. A start's compile is the host's background compile of that artifact
(engine/runtime/precompile.py) when one is queued or running: a Service package is compiled
once. Tool-only packages stay lazy: their instance starts on first use (docs/host.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.plan import Plan

MAX_PARALLEL_STARTS = 8


def service_refs(plans: Iterable[Plan]) -> tuple[str, ...]:
    """The planned packages that have an authorized Service, in plan order."""
    return tuple(plan.ref for plan in plans if plan.services)


def start_services(registry: Any, plans: Iterable[Plan], parallel: int = MAX_PARALLEL_STARTS) -> tuple[dict, ...]:
    """Start the instance of every package with a planned Service, at most `parallel` at a
    time; one result per package, in plan order: `{ref, ok: true, lifecycle, services}` or
    `{ref, ok: false, error: {kind, message}}`. Never raises for a guest's failure."""
    refs = service_refs(plans)
    if not refs:
        return ()
    with ThreadPoolExecutor(max_workers=min(parallel, len(refs)), thread_name_prefix="yoi-service-start") as pool:
        try:
            return tuple(pool.map(lambda ref: _start_one(registry, ref), refs))
        except BaseException:  # SIGTERM or Ctrl-C: the starts end now (leaving waits for their threads)
            registry.halt_compiles()
            raise


def _start_one(registry: Any, ref: str) -> dict[str, Any]:
    from engine.runtime.errors import RuntimeFault
    from engine.runtime.instance import as_fault

    try:
        status = registry.start(ref)
    except Exception as error:  # noqa: BLE001 - a RuntimeFault, or a bug: either way one bounded result
        fault = error if isinstance(error, RuntimeFault) else as_fault(error)
        return {"ref": ref, "ok": False, "error": fault.to_dict()}
    return {
        "ref": ref,
        "ok": True,
        "lifecycle": status["lifecycle"],
        "services": [service["name"] for service in status["services"]],
    }
