"""What the runtime links against, in one place: the API names and operations, the descriptor
bounds, the per-guest-call cap on host API calls and the words of a plan denial.

The APIs come from the host-API registry (engine/api_registry). hostlink.py reads these on the
`import engine.runtime` path (which `yoi plugin list` takes), so this module imports nothing
else: the API implementations (ssl, sockets) load only when an instance first builds its
`HostApis`.
"""

from __future__ import annotations

from engine.api_registry import HOST_APIS

API_OPERATIONS = {api.name: api.operations for api in HOST_APIS}
# Spec §6.8/§6.10/§6.11: the largest descriptor a guest may hand each API.
DESCRIPTOR_LIMITS = {api.name: api.descriptor_limit for api in HOST_APIS}
# Host API calls (request/read/list/write) one guest call may make. A host call runs outside the
# guest's fuel and epoch deadline, so without a cap a guest could loop on cheap fs writes (each
# fsynced) or on connections until its deadline; 64 leaves room for any real tool call.
MAX_HOST_CALLS_PER_GUEST_CALL = 64
DENIED = "plugin host API dispatch denied"


def not_in_plan(api: str) -> str:
    """The denial for a host API the plan does not carry: at instantiation and on every call."""
    return f"{DENIED}: host API `{api}` is not in the plan"
