"""Effective runtime limits and restart policy of an enablement (`[plugins.enabled.limits]`,
`[plugins.enabled.restart]`).

A limit above the host maximum is capped to that maximum rather than rejected: the maxima are
host bounds that hold either way, and the rules warn about both raised and capped limits so a
reviewer sees them (`limit_raised`, `limit_capped` in rules/limits.rules). Restart settings have
no such ceiling to fall back to, so the schema refuses values outside RESTART_BOUNDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from engine.limits import DEFAULT_LIMITS, HOST_MAXIMA, RAISABLE_LIMITS, RestartPolicy, RuntimeLimits

# name -> (lowest, highest) accepted value; an instance restarts at most 100 times per healthy
# window, never waits more than ten minutes between attempts, and a window is at most a day.
RESTART_BOUNDS: dict[str, tuple[int, int]] = {
    "max_restarts": (0, 100),
    "backoff_ms": (1, 60_000),
    "backoff_max_ms": (1, 600_000),
    "reset_after_ms": (1, 86_400_000),
}


def effective_limits(requested: Mapping[str, int] | None) -> RuntimeLimits:
    """The defaults, overridden by what the enablement asks, each capped to the host maximum."""
    if not requested:
        return DEFAULT_LIMITS
    values = {
        name: min(int(requested[name]), getattr(HOST_MAXIMA, name)) for name in RAISABLE_LIMITS if name in requested
    }
    return replace(DEFAULT_LIMITS, **values)


def restart_policy(requested: Mapping[str, int] | None) -> RestartPolicy:
    """The default restart policy, overridden by what the enablement asks (already bounded)."""
    if not requested:
        return RestartPolicy()
    return RestartPolicy(**{name: int(requested[name]) for name in RESTART_BOUNDS if name in requested})


def restart_problem(requested: Mapping[str, int] | None) -> str | None:
    """Why a schema-valid restart table is still inconsistent, if it is."""
    policy = restart_policy(requested)
    if policy.backoff_max_ms < policy.backoff_ms:
        return f"must be at least `backoff_ms` ({policy.backoff_ms})"
    return None
