"""Registry entry `https` (spec §3.5, §6.10): outbound HTTPS requests to granted hosts.

The handler is engine/runtime/hostapi/https.py; the rules are in rules/authorization.rules
(`allowlist_usable`) and rules/hostapi.rules (broad grants).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from engine.api_registry.abi import JSON_CALL
from engine.api_registry.model import ConstantFact, GrantRecord, HostApi

# The request methods the API sends (exactly, upper case); rules read them as `https_method`.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_METHOD_LIST = re.compile(r"[A-Z]+(,[A-Z]+)*")  # `--allow-https URL:GET,POST`


def normalize_host(host: str) -> str:
    """Spec §3.5: trim, strip a trailing dot and IPv6 brackets, lowercase."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.lower()


@dataclass(frozen=True)
class HttpsGrant(GrantRecord):
    """One `grants.https` allowlist entry; empty `path_prefixes` means any path (§6.10)."""

    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "host": {"type": "string", "meta": {"description": "Host name or IP literal the plugin may call over HTTPS."}},
        "methods": {
            "type": "list",
            "schema": {"type": "string"},
            "meta": {"description": "HTTP methods allowed (none: no request is allowed)."},
        },
        "path_prefixes": {
            "type": "list",
            "schema": {"type": "string"},
            "meta": {"description": "Path prefixes allowed (none: every path)."},
        },
    }
    FACTS: ClassVar[Mapping[str, tuple[str, ...]]] = {"https_grant": ("P", "Host", "Method", "PathPrefix")}

    FLAG_METAVAR: ClassVar[str | None] = "URL[:METHODS]"
    FLAG_HELP: ClassVar[str] = (
        "Open the https host API for https://HOST[/PATH_PREFIX] with METHODS (default GET); repeatable."
    )

    host: str = ""
    methods: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: Mapping[str, Any], workspace: str | None = None) -> HttpsGrant:
        return cls(table.get("host", ""), tuple(table.get("methods", ())), tuple(table.get("path_prefixes", ())))

    @classmethod
    def from_flag(cls, value: str) -> HttpsGrant:
        """`https://HOST[/PATH_PREFIX][:METHODS]`: METHODS a comma list of upper-case names (default
        GET; the rules judge them like written ones); a path other than `/` is the one prefix."""
        url, colon, methods = value.rpartition(":")
        if not (colon and _METHOD_LIST.fullmatch(methods)):
            url, methods = value, "GET"
        parts = urlsplit(url)
        try:
            host = parts.hostname
        except ValueError:
            host = None
        if parts.scheme != "https" or not host:
            raise ValueError(f"`{url}` is not an https://HOST[/PATH] URL")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("the URL may hold only a host and a path prefix")
        prefix = parts.path if parts.path not in ("", "/") else ""
        return cls(host, tuple(dict.fromkeys(methods.split(","))), (prefix,) if prefix else ())

    @property
    def label(self) -> str:
        methods = ",".join(self.methods) or "<no-methods>"
        prefixes = ",".join(self.path_prefixes) or "*"
        return f"{self.host} {methods} {prefixes}"

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "methods": list(self.methods), "path_prefixes": list(self.path_prefixes)}

    def graph_attrs(self) -> dict[str, Any]:
        return {
            "host": normalize_host(self.host),
            "methods": tuple(m.strip().upper() for m in self.methods),
            "path_prefixes": tuple(self.path_prefixes),
            "label_text": self.label,
        }

    @staticmethod
    def facts(ref: str, attrs: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        for method in attrs["methods"]:
            for prefix in attrs["path_prefixes"] or ("",):
                yield "https_grant", (ref, attrs["host"], method, prefix)


API = HostApi(
    name="https",
    summary="outbound HTTPS requests to granted hosts, methods and path prefixes",
    interface="yoi:host/https@1.0.0",
    functions=(("request", JSON_CALL),),
    grant=HttpsGrant,
    handler="engine.runtime.hostapi.https:open_api",
    descriptor_limit=49152,
    descriptor_words="HTTPS request",
    allowlist_missing="granted host_api.https allowlist is missing",
    raw_module="yoi:https",
    constants=(ConstantFact("https_method", ("Method",), tuple((method,) for method in METHODS)),),
)
