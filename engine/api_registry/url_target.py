"""`[[request]]` / `[[websocket]]` URL targets as records: one type for a manifest's targets and an
enablement's grants, as upstream has it (`PluginRequestGrant`, `PluginWebSocketGrant`;
yoi-current-spec.md §1.10-§1.12, §3.5).

This is the data half: fields, label, broadness, the "usable declaration" test, and how an entry
becomes graph attributes and facts. The matching that decides whether a URL is allowed
(`allows`, `intersect`, `covers`, `authorize_url`) lives in engine/grants/url_targets.py, which
re-exports everything here. Like the rest of the registry, this imports no other engine module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from engine.api_registry.model import GrantRecord

REQUEST = "request"
WEBSOCKET = "websocket"
APIS = (REQUEST, WEBSOCKET)
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # cur §6.10 step 4
USABLE_WEBSOCKET_SCHEMES = ("ws", "wss", "*")  # cur §3.5
MANIFEST_SIDE = "manifest"
GRANT_SIDE = "grant"

_BROAD = {REQUEST: " [broad-request]", WEBSOCKET: " [broad-websocket]"}
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Rust's `to_ascii_lowercase`: only A-Z change."""
    return text.translate(_LOWER)


def normalize_host_literal(host: str) -> str:
    """Upstream `normalize_host_literal`: trailing dots, then leading `[` and trailing `]`, off;
    ASCII-lowercased; never whitespace-trimmed (cur §1.10, §9.4)."""
    return ascii_lower(host.rstrip(".").lstrip("[").rstrip("]"))


def _port_rules() -> dict[str, Any]:
    return {
        "type": "integer",
        "min": 0,
        "max": 65535,
        "meta": {"description": "Port the URL must use (its scheme default when it names none); absent: any port."},
    }


def _strings(description: str) -> dict[str, Any]:
    return {"type": "list", "schema": {"type": "string"}, "meta": {"description": description}}


@dataclass(frozen=True, eq=False)
class UrlTarget(GrantRecord):
    """One `[[request]]` or `[[websocket]]` entry (every field optional in TOML). `api` says which;
    a websocket entry has no `methods`. Two entries are equal when their fields are, whichever
    record class (RequestTarget, WebSocketTarget or this base) made them."""

    API: ClassVar[str] = ""  # the API a record class parses tables for (set by the subclasses)
    FACTS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "url_target": ("P", "Side", "Api", "Index", "Label"),
        "url_target_usable": ("P", "Side", "Api", "Index"),
        "url_target_broad": ("P", "Side", "Api", "Index"),
        "url_target_relation": ("P", "Api", "Relation", "ManifestIndex", "GrantIndex"),
        "url_target_host_class": ("P", "Side", "Api", "Index", "Class"),
    }

    api: str
    scheme: str = ""
    host: str = ""
    port: int | None = None
    methods: tuple[str, ...] = ()  # request only
    path_prefixes: tuple[str, ...] = ()

    def _key(self) -> tuple:
        return (self.api, self.scheme, self.host, self.port, self.methods, self.path_prefixes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlTarget) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @classmethod
    def of(cls, api: str, table: Mapping[str, Any]) -> UrlTarget:
        """From a schema-checked TOML table of API `api` (field types already validated)."""
        return UrlTarget(
            api=api,
            scheme=table.get("scheme", ""),
            host=table.get("host", ""),
            port=table.get("port"),
            methods=tuple(table.get("methods", ())) if api == REQUEST else (),
            path_prefixes=tuple(table.get("path_prefixes", ())),
        )

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> UrlTarget:
        if not cls.API:
            raise TypeError("UrlTarget.from_table needs a record class of one API; use UrlTarget.of(api, table)")
        base = cls.of(cls.API, table)
        return cls(base.api, base.scheme, base.host, base.port, base.methods, base.path_prefixes)

    def to_table(self) -> dict[str, Any]:
        """The TOML/JSON shape, fields in upstream's order, `port` only when set."""
        table: dict[str, Any] = {"scheme": self.scheme, "host": self.host}
        if self.port is not None:
            table["port"] = self.port
        if self.api == REQUEST:
            table["methods"] = list(self.methods)
        table["path_prefixes"] = list(self.path_prefixes)
        return table

    def to_dict(self) -> dict[str, Any]:
        return self.to_table()

    def is_broad(self) -> bool:
        """Scheme `*`, host `*` (after trim) or no path prefixes (cur §1.12); port and methods play no part."""
        return self.scheme.strip() == "*" or self.host.strip() == "*" or not self.path_prefixes

    @property
    def label(self) -> str:
        """`https://api.example.com:443 GET,POST /v1/`, `*://* * [broad-websocket]` (cur §1.12)."""
        scheme = self.scheme if self.scheme.strip() else "<no-scheme>"
        host = self.host if self.host.strip() else "<no-host>"
        port = f":{self.port}" if self.port is not None else ""
        paths = ",".join(self.path_prefixes) if self.path_prefixes else "*"
        broad = _BROAD.get(self.api, "") if self.is_broad() else ""
        if self.api == REQUEST:
            methods = ",".join(self.methods) if self.methods else "<no-methods>"
            return f"{scheme}://{host}{port} {methods} {paths}{broad}"
        return f"{scheme}://{host}{port} {paths}{broad}"

    def is_usable(self) -> bool:
        """Counts as a usable declaration or grant (cur §3.5 step 4): request needs a scheme, a
        host and one of the five methods; websocket a `ws`/`wss`/`*` scheme and a host."""
        if not self.host.strip():
            return False
        if self.api == REQUEST:
            return bool(self.scheme.strip()) and any(m.strip().upper() in ALLOWED_METHODS for m in self.methods)
        return ascii_lower(self.scheme.strip()) in USABLE_WEBSOCKET_SCHEMES

    def graph_attrs(self) -> dict[str, Any]:
        """The entry as the graph keeps it; the graph adds `side`, `index` and, for manifest
        targets, `relations` ((relation, grant index) pairs)."""
        return {
            "api": self.api,
            "label_text": self.label,
            "usable": self.is_usable(),
            "broad": self.is_broad(),
            **self.to_table(),
        }

    @staticmethod
    def facts(ref: str, attrs: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        side, api, index = attrs.get("side", GRANT_SIDE), attrs["api"], attrs.get("index", 0)
        yield "url_target", (ref, side, api, index, attrs["label_text"])
        if attrs["usable"]:
            yield "url_target_usable", (ref, side, api, index)
        if attrs["broad"]:
            yield "url_target_broad", (ref, side, api, index)
        for relation, grant_index in attrs.get("relations", ()):
            yield "url_target_relation", (ref, api, relation, index, grant_index)
        yield "url_target_host_class", (ref, side, api, index, host_class(attrs["host"]))


# Cloud instance metadata services, by the literal addresses they answer on (AWS, GCP and Azure
# on 169.254.169.254; AWS over IPv6; Alibaba Cloud): a grant naming one hands out credentials.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))


def host_class(host: str) -> str:
    """What a target's host names, as upstream compares it (normalize_host_literal: a host written
    otherwise never matches a URL): `wildcard` (`*`), `localhost` (RFC 6761 names), `metadata`,
    `loopback`, `link-local`, `private` (any other address that is not globally routable),
    `public` (a routable address) or `name` (a DNS name: what it resolves to is known at call
    time only). The rules warn on the local ones where a host does not block them."""
    if host.strip() == "*":
        return "wildcard"
    text = normalize_host_literal(host)
    if text == "localhost" or text.endswith(".localhost"):
        return "localhost"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "name"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    return "public" if address.is_global else "private"


def target_schema(api: str, scheme_words: str) -> dict[str, dict[str, Any]]:
    """The cerberus schema of one `[[<api>]]` table (manifest and grant alike; cur §1.10, §1.11)."""
    schema: dict[str, dict[str, Any]] = {
        "scheme": {
            "type": "string",
            "meta": {"description": f"URL scheme ({scheme_words}, or `*` for any); empty never matches."},
        },
        "host": {
            "type": "string",
            "meta": {"description": "Exact host or IP literal (`*` for any, no partial wildcards); empty: none."},
        },
        "port": _port_rules(),
    }
    if api == REQUEST:
        schema["methods"] = _strings("Request methods allowed (GET, POST, PUT, PATCH, DELETE); none: nothing matches.")
    schema["path_prefixes"] = _strings(
        "Plain string prefixes of the URL path (`/v1` also matches `/v10`); none: any path."
    )
    return schema
