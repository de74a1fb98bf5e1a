"""Per-call runtime limits and the restart policy (spec §6.13): the types only.

They sit below both stages that use them: engine/grants computes an enablement's effective limits
(engine/grants/limits.py) and engine/plan carries them to the runtime. Keeping them here, not in
engine.plan, is what keeps `grants` and `plan` free of an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeLimits:
    """Per-call limits (spec §6.13); an enablement's `limits` table may raise the RAISABLE_LIMITS
    up to HOST_MAXIMA. Every guest call (start, handle-tool, handle-ingress, status, stop, legacy
    calls) gets `fuel` and a `timeout_ms` wall-clock deadline of its own; compiling the artifact
    (when it is not in the compiled-artifact cache) gets `compile_ms` of wall clock in a child
    process that is killed at the limit (a Python guest compiles in 6-30 s on two busy cores)."""

    memory_bytes: int = 2 * 1024 * 1024
    table_elements: int = 256
    fuel: int = 5_000_000
    timeout_ms: int = 1000
    max_input_bytes: int = 65536
    max_output_bytes: int = 65536
    compile_ms: int = 60_000

    def raised(self, defaults: RuntimeLimits | None = None) -> dict[str, int]:
        """The limits above the defaults, by name: what a reviewer must see."""
        base = defaults or DEFAULT_LIMITS
        return {name: getattr(self, name) for name in RAISABLE_LIMITS if getattr(self, name) > getattr(base, name)}

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in (*RAISABLE_LIMITS, "max_input_bytes", "max_output_bytes")}


RAISABLE_LIMITS = ("fuel", "timeout_ms", "memory_bytes", "table_elements", "compile_ms")
DEFAULT_LIMITS = RuntimeLimits()
HOST_MAXIMA = RuntimeLimits(
    memory_bytes=256 * 1024 * 1024, table_elements=65536, fuel=10**10, timeout_ms=30_000, compile_ms=600_000
)


@dataclass(frozen=True)
class RestartPolicy:
    """How a failed instance is restarted: exponential backoff from `backoff_ms`, doubling up to
    `backoff_max_ms`, at most `max_restarts` times (0 = never restart). An instance that has run
    `reset_after_ms` (wall clock since its last start) without a fault gets its restarts and its
    backoff back: the budget bounds a crash loop, not the life of the host."""

    max_restarts: int = 3
    backoff_ms: int = 100
    backoff_max_ms: int = 5000
    reset_after_ms: int = 60_000

    def to_dict(self) -> dict[str, int]:
        return {
            "max_restarts": self.max_restarts,
            "backoff_ms": self.backoff_ms,
            "backoff_max_ms": self.backoff_max_ms,
            "reset_after_ms": self.reset_after_ms,
        }
