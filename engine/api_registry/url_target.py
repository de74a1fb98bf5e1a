"""`[[request]]` / `[[websocket]]` URL targets as records: one type for a manifest's targets and an
enablement's grants, as upstream has it (`PluginRequestGrant`, `PluginWebSocketGrant`;
yoi-current-spec.md §1.10-§1.12, §3.5, §3.6), and what they mean: fields, label, broadness, the
"usable declaration" test, how an entry becomes graph attributes and facts, and the matching
that decides whether a URL is allowed (`allows`, `authorize_url`) and how two entries relate
(`intersect`, `covers`), exactly as upstream does it.

Upstream's quirks are kept on purpose (§9.4-§9.7): hosts are not whitespace-trimmed, `*` is the
only wildcard (`*.example.com` matches nothing), an absent port matches every port, path
prefixes are plain string prefixes (`/v1` matches `/v10`), an empty prefix list means any path.
Like the rest of the registry this imports no other engine module, so the runtime matches with
the code static inspection uses (engine/grants/url_targets.py re-exports it beside the strict
URL reader and inspection).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from engine.api_registry.model import ConstantFact, GrantRecord, HostApi

REQUEST = "request"
WEBSOCKET = "websocket"
APIS = (REQUEST, WEBSOCKET)
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # cur §6.10 step 4
USABLE_WEBSOCKET_SCHEMES = ("ws", "wss", "*")  # cur §3.5
MANIFEST_SIDE = "manifest"
GRANT_SIDE = "grant"

_BROAD = {REQUEST: " [broad-request]", WEBSOCKET: " [broad-websocket]"}
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}  # url's port_or_known_default
SAFE_PATH_BYTES = 120  # cur §6.10 `safe_url`
API_WORDS = {REQUEST: "request", WEBSOCKET: "WebSocket"}  # as the messages spell each API
# Why a URL-target API is closed (cur §3.5 step 4): the runtime's `declaration_problem` and the
# registry entries' `declaration_missing` / `allowlist_missing` (which the rules report) alike.
DECLARATION_MISSING = "manifest host_api.{api} target declaration is missing"
GRANTS_MISSING = "enabled host_api.{api} grants are missing"


def _scheme(value: str) -> str:
    return ascii_lower(value.strip())


def _same_method(a: str, b: str) -> bool:
    return ascii_lower(a) == ascii_lower(b)  # eq_ignore_ascii_case


_METHOD_LIST = re.compile(r"[A-Z]+(?:,[A-Z]+)*")
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
    def from_flag(cls, value: str) -> UrlTarget:
        """`yoi plugin dev --allow-request SCHEME://HOST[:PORT][/PREFIX][:METHODS]` (METHODS a comma
        list, default GET) or `--allow-websocket ws[s]://HOST[:PORT][/PREFIX]`: one grant entry; a
        path other than `/` is its one prefix, no port means any port."""
        url, colon, methods = value.rpartition(":")
        if not (cls.API == REQUEST and colon and _METHOD_LIST.fullmatch(methods)):
            url, methods = value, "GET"
        parts = urlsplit(url)
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise ValueError(f"`{url}` has an invalid host or port") from None
        schemes = ("http", "https") if cls.API == REQUEST else ("ws", "wss")
        if parts.scheme not in schemes or not host:
            raise ValueError(f"`{url}` is not a {' or '.join(schemes)} URL with a host")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("the URL may hold only a host, a port and a path prefix")
        prefix = parts.path if parts.path not in ("", "/") else ""
        table: dict[str, Any] = {"scheme": parts.scheme, "host": host, "path_prefixes": [prefix] if prefix else []}
        if port is not None:
            table["port"] = port
        if cls.API == REQUEST:
            table["methods"] = list(dict.fromkeys(methods.split(",")))
        return cls.from_table(table)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], workspace: str | None = None) -> UrlTarget:
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
    time only). The target rules warn on the local ones where a host does not block them."""
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


# ---- URLs as matched -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedUrl:
    """A URL as upstream's `url::Url` sees it, for matching: lowercase scheme, the host as
    `host_str` gives it (IPv6 in brackets), the explicit port unless it is the scheme default,
    and the path (never the query or fragment)."""

    scheme: str
    host: str
    port: int | None
    path: str

    def port_or_default(self) -> int | None:
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme)

    def canonical_host(self) -> str:
        return normalize_host_literal(self.host)

    def safe(self) -> str:
        """Upstream `safe_url`: scheme, host, a non-default port, the path cut to 120 bytes + `…`."""
        path = self.path
        data = path.encode()
        if len(data) > SAFE_PATH_BYTES:
            path = data[:SAFE_PATH_BYTES].decode("utf-8", errors="ignore") + "…"
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{path}"


# ---- matching (cur §3.6) -------------------------------------------------------------------------


def allows(target: UrlTarget, url: ParsedUrl, method: str = "") -> bool:
    """`request_target_allows` / `websocket_target_allows`: this one entry allows the URL
    (and, for request, the method, which the caller has already checked is one of the five)."""
    scheme = _scheme(target.scheme)
    if not scheme or (scheme != "*" and scheme != url.scheme):
        return False
    host = url.canonical_host()
    target_host = normalize_host_literal(target.host)
    if not host or not target_host or (target_host != "*" and target_host != host):
        return False
    if target.port is not None and url.port_or_default() != target.port:
        return False
    if target.api == REQUEST and not any(_same_method(m.strip(), method) for m in target.methods):
        return False
    return not target.path_prefixes or any(p and url.path.startswith(p) for p in target.path_prefixes)


def _either_star_or_equal(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == "*" or b == "*" or a == b)


def _star_or_equal(covering: str, covered: str) -> bool:
    return bool(covering) and bool(covered) and (covering == "*" or covering == covered)


def intersect(a: UrlTarget, b: UrlTarget) -> bool:
    """`request_targets_intersect` / `websocket_targets_intersect`: some URL could satisfy both."""
    methods = a.api != REQUEST or (
        bool(a.methods)
        and bool(b.methods)
        and any(_same_method(x.strip(), y.strip()) for x in a.methods for y in b.methods)
    )
    paths = (
        not a.path_prefixes
        or not b.path_prefixes
        or any(x and y and (x.startswith(y) or y.startswith(x)) for x in a.path_prefixes for y in b.path_prefixes)
    )
    return (
        _either_star_or_equal(_scheme(a.scheme), _scheme(b.scheme))
        and _either_star_or_equal(normalize_host_literal(a.host), normalize_host_literal(b.host))
        and (a.port is None or b.port is None or a.port == b.port)
        and methods
        and paths
    )


def covers(covering: UrlTarget, covered: UrlTarget) -> bool:
    """`request_target_covers` / `websocket_target_covers`: every URL `covered` allows,
    `covering` allows too."""
    methods = covering.api != REQUEST or (
        bool(covering.methods)
        and bool(covered.methods)
        and all(any(_same_method(c.strip(), d.strip()) for c in covering.methods) for d in covered.methods)
    )
    if not covering.path_prefixes:
        paths = True
    elif not covered.path_prefixes:
        paths = False
    else:
        paths = all(d and any(c and d.startswith(c) for c in covering.path_prefixes) for d in covered.path_prefixes)
    return (
        _star_or_equal(_scheme(covering.scheme), _scheme(covered.scheme))
        and _star_or_equal(normalize_host_literal(covering.host), normalize_host_literal(covered.host))
        and (covering.port is None or covering.port == covered.port)
        and methods
        and paths
    )


def authorize_url(
    api: str, url: ParsedUrl, method: str, manifest_targets: Sequence[UrlTarget], grants: Sequence[UrlTarget]
) -> str | None:
    """Why a call to `url` is refused (None: allowed): the manifest side first, then the grants
    (cur §3.6; upstream `authorize_request_allowlist` / `authorize_websocket_allowlist`)."""
    subject = f"{method} {url.safe()}" if api == REQUEST else url.safe()
    if not any(allows(target, url, method) for target in manifest_targets):
        return f"host_api.{api} target {subject} is not declared by the plugin manifest"
    if not any(allows(grant, url, method) for grant in grants):
        return f"host_api.{api} target {subject} is not covered by enabled {API_WORDS[api]} grants"
    return None


def declaration_problem(api: str, manifest_targets: Iterable[UrlTarget], grants: Iterable[UrlTarget]) -> str | None:
    """Step 4 of `authorize_plugin_host_api` for request/websocket (cur §3.5): a usable manifest
    declaration, then a usable grant. It does not test whether the two overlap."""
    if not any(target.is_usable() for target in manifest_targets):
        return DECLARATION_MISSING.format(api=api)
    if not any(grant.is_usable() for grant in grants):
        return GRANTS_MISSING.format(api=api)
    return None


def url_target_api(
    name: str,
    *,
    summary: str,
    interface: str,
    functions: tuple[tuple[str, str], ...],
    grant: type[UrlTarget],
    handler: str,
    descriptor_limit: int,
    descriptor_words: str,
) -> HostApi:
    """The registry entry of a URL-target API (`request`, `websocket`): the entry's own fields
    plus what every such entry shares (a manifest table of targets, the two closed-API messages
    above, the word upstream's inspection names it by, cur §4.1)."""
    return HostApi(
        name=name,
        summary=summary,
        interface=interface,
        functions=functions,
        grant=grant,
        handler=handler,
        descriptor_limit=descriptor_limit,
        descriptor_words=descriptor_words,
        manifest_table=True,
        allowlist_missing=GRANTS_MISSING.format(api=name),
        declaration_missing=DECLARATION_MISSING.format(api=name),
        constants=(ConstantFact("url_target_word", ("Api", "Word"), ((name, API_WORDS[name]),)),),
    )
