"""Which addresses a plugin may reach, and what address a URL host really names (spec §6.10).

A URL parser accepts many spellings of one IPv4 address (`2130706433`, `0x7f000001`, `0177.1`,
`127.1`, a trailing dot) and resolvers accept most of them too, so the host text is decoded the
way the WHATWG URL standard does before anything is compared: a check on the text alone would let
`0x7f000001` reach loopback. Hosts that are neither a plain DNS name nor an IP literal fail closed.
"""

from __future__ import annotations

import ipaddress
import re

from engine.errors import EngineError, ErrorKind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# Spec §6.10's forbidden IPv4 ranges, plus every special-purpose block of the IANA registry.
_FORBIDDEN_V4 = tuple(
    _V4(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",  # 224/4 multicast and 240/4 reserved+broadcast
    )
)
_FORBIDDEN_V6 = tuple(
    _V6(n)
    for n in (
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_PART = re.compile(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)")
MAX_HOST_CHARS = 253


class HostSyntaxError(EngineError, ValueError):
    """The URL host is not a DNS name or an IP literal we are willing to interpret."""

    error_kind = ErrorKind.DENIED


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses; embedded IPv4 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return is_public(embedded)
        return not any(address in net for net in _FORBIDDEN_V6) and address.is_global
    return not any(address in net for net in _FORBIDDEN_V4) and address.is_global


def is_never_a_destination(address: IPAddress) -> bool:
    """Unspecified, `0/8`, multicast, reserved and broadcast addresses: not a host anyone can
    name in a grant (0.0.0.0 would reach this machine, multicast many)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return is_never_a_destination(embedded)
        return address.is_unspecified or address.is_multicast
    return int(address) >> 24 == 0 or int(address) >= 224 << 24


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (first six segments zero, spec §6.10)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if int(address) >> 32 == 0:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parse_ipv4_part(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        if not all(c in "01234567" for c in part):
            raise HostSyntaxError("invalid octal IPv4 part")
        return int(part, 8)
    return int(part)


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The WHATWG IPv4 parser: 1-4 decimal/octal/hex parts, the last filling the remaining bytes.

    Returns None when the host does not end in a number (a DNS name); raises when it does but is
    not a valid address (the standard fails those, and so do we).
    """
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    if not _NUMERIC_PART.fullmatch(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMERIC_PART.fullmatch(p) for p in parts):
        raise HostSyntaxError("host ends in a number but is not an IPv4 address")
    numbers = [_parse_ipv4_part(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostSyntaxError("IPv4 address part is out of range")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_url_host(raw: str) -> tuple[str, IPAddress | None]:
    """Canonical host text and, for IP literals, the address it denotes.

    Accepts only ASCII DNS names (punycode for IDNs) and IP literals; IPv6 literals must be
    bracketed, zone ids are refused. Canonical text: lowercase, no trailing dot, no brackets, and
    for IP literals the address's standard form (so every spelling of 127.0.0.1 compares equal).
    """
    if not raw or not raw.isascii():
        raise HostSyntaxError("host must be a non-empty ASCII name (use punycode)")
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise HostSyntaxError("unterminated IPv6 literal")
        inner = raw[1:-1]
        if "%" in inner:
            raise HostSyntaxError("IPv6 zone ids are not allowed")
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            raise HostSyntaxError("invalid IPv6 literal") from None
        return str(address), address
    host = raw.lower()
    v4 = _whatwg_ipv4(host)
    if v4 is not None:
        return str(v4), v4
    host = host[:-1] if host.endswith(".") else host
    if len(host) > MAX_HOST_CHARS or not all(_DNS_LABEL.fullmatch(label) for label in host.split(".")):
        raise HostSyntaxError("host is not a valid DNS name")
    return host, None


def canonical_grant_host(host: str) -> str:
    """A grant's host as requests are compared against it: spec §3.5's normalization (trim, strip a
    trailing dot and brackets, lowercase), then an IP literal in standard form."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def is_local_name(host: str) -> bool:
    """`localhost` and `*.localhost` name loopback by definition (RFC 6761), whatever DNS says."""
    return host == "localhost" or host.endswith(".localhost")
