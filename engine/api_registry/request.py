"""Registry entry `request` (yoi b12e0785, yoi-current-spec.md §1.10, §3.5, §3.6, §6.10): one
outbound HTTP(S) request per call, to URLs a manifest `[[request]]` target declares *and* an
enablement `grants.request` entry allows.

The handler is engine/runtime/hostapi/request.py; the matching is engine/grants/url_targets.py;
the rules are `allowlist_usable` and `url_target_declaration_missing` in rules/authorization.rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.api_registry.abi import JSON_CALL
from engine.api_registry.url_target import REQUEST, UrlTarget, target_schema, url_target_api


class RequestTarget(UrlTarget):
    """A `[[request]]` target of a manifest, or a `[[plugins.enabled.grants.request]]` entry."""

    API: ClassVar[str] = REQUEST
    FLAG_METAVAR: ClassVar[str | None] = "SCHEME://HOST[:PORT][/PATH][:METHODS]"
    FLAG_HELP: ClassVar[str] = (
        "Open the request host API for SCHEME://HOST[:PORT][/PATH_PREFIX] with METHODS (default GET), "
        "where a [[request]] target of plugin.toml allows it too; repeatable."
    )
    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]] = target_schema(REQUEST, "`http` or `https`")


API = url_target_api(
    REQUEST,
    summary="outbound HTTP(S) requests to URLs a manifest target declares and a grant allows",
    interface="yoi:host/request@1.0.0",
    functions=(("request", JSON_CALL),),
    grant=RequestTarget,
    handler="engine.runtime.hostapi.request:open_api",
    descriptor_limit=49152,
    descriptor_words="request",
)
