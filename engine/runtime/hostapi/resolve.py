"""Hostname lookups and the address policy of the network host APIs (`request`, `websocket`):
resolve once, check every answer, and hand back the addresses to connect to, so the socket goes
to a validated address and nothing resolves the name again (no DNS rebinding between check and
connect). The `https` API does the same in https.py.

The engine's host keeps the SSRF protection of yoi 43c9216e under every API (docs/host-apis.md):
a name must resolve to public addresses only; a private or loopback address is reachable only
when a grant names that literal address (checked by the caller before any lookup).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

from engine.api_registry.url_target import UrlTarget
from engine.runtime.hostapi.addresses import (
    IPAddress,
    canonical_grant_host,
    is_local_name,
    is_never_a_destination,
    is_public,
)
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.http1 import error_text
from engine.runtime.hostapi.urls import NetUrl

Resolver = Callable[[str, int], list[str]]


def network_settings(host: Any) -> dict[str, Any]:
    """What a network API takes from the host's settings (engine.runtime.HostConfig): the extra CA
    bundle (`[plugins.host] https_ca_bundle`) and the resolver (tests replace it)."""
    return {"ca_bundle": getattr(host, "https_ca_bundle", None), "resolver": getattr(host, "resolver", None)}


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _before_deadline(work: Callable[[], list[str]], deadline: float, owner: str) -> list[str]:
    """`work()` in a lookup thread of `owner`'s share, given up at `deadline` (getaddrinfo has no
    timeout): the pool the https API uses (dns.py), so lookups of every API share its bounds."""
    from engine.runtime.hostapi.dns import POOL

    return POOL.run(owner, work, deadline)


def lookup(host: str, port: int, resolver: Resolver, deadline: float, owner: str, word: str) -> list[IPAddress]:
    """The public addresses `host` resolves to, deduplicated, in the resolver's order; `word`
    names the API in the blocked-address message (`request blocked local/private address ...`)."""
    try:
        answers = _before_deadline(lambda: resolver(host, port), deadline, owner)
    except TimeoutError:
        raise HostApiError(f'DNS lookup for "{host}" timed out') from None
    except Exception as error:  # noqa: BLE001 - the resolver is foreign code: any failure is a lookup failure
        raise HostApiError(f'DNS lookup failed for "{host}": {error_text(error)}') from None
    addresses: list[IPAddress] = []
    for answer in answers or ():
        try:
            address = ipaddress.ip_address(str(answer))
        except ValueError:
            raise HostApiError(f'DNS lookup failed for "{host}": resolver returned an invalid address') from None
        if getattr(address, "scope_id", None) or not is_public(address):
            raise HostApiError(f'{word} blocked local/private address {address} for host "{host}"')
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostApiError(f'DNS lookup for "{host}" returned no addresses')
    return addresses


def literal_hosts(grants: Iterable[UrlTarget]) -> frozenset[str]:
    """The hosts grants name literally (canonical form), the only way to a private address."""
    return frozenset(host for grant in grants if (host := canonical_grant_host(grant.host)) and host != "*")


def check_static(url: NetUrl, literals: frozenset[str], word: str) -> None:
    """Before the allowlist and any lookup: `localhost` names are never reachable; a private or
    loopback IP literal only when a grant names that literal address; unspecified, multicast and
    reserved addresses never (they are not a host anyone can name)."""
    if is_local_name(url.host):
        raise HostApiError(f'{word} blocked local/private host "{url.host}"')
    if url.address is None or is_public(url.address):
        return
    if is_never_a_destination(url.address) or url.host not in literals:
        raise HostApiError(f'{word} blocked local/private host "{url.host}"')
