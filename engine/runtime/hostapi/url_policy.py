"""Who a URL-target API (`request`, `websocket`) may reach, for one plan: its manifest targets and
grants, the engine's address policy on top (resolve.py), and the CA bundle and resolver it dials
with. One class, so the two APIs cannot drift apart in the order or the words of their checks;
each API words them with its registry word (`request`, `WebSocket`).
"""

from __future__ import annotations

from pathlib import Path

from engine.api_registry.url_target import API_WORDS, UrlTarget, authorize_url, declaration_problem
from engine.runtime.hostapi.addresses import IPAddress
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.resolve import Resolver, check_static, literal_hosts, lookup, system_resolver
from engine.runtime.hostapi.tls import ClientContext
from engine.runtime.hostapi.urls import NetUrl


class UrlPolicy:
    """The targets and grants of one plan for API `api`, prepared once."""

    def __init__(
        self,
        api: str,
        targets: tuple[UrlTarget, ...],
        grants: tuple[UrlTarget, ...],
        ca_bundle: str | Path | None,
        resolver: Resolver | None,
        owner: str,
    ):
        self.api = api
        self.word = API_WORDS[api]
        self.targets, self.grants = tuple(targets), tuple(grants)
        self.literals = literal_hosts(self.grants)
        self.resolver = resolver or system_resolver
        self.owner = owner
        self.tls = ClientContext(ca_bundle, f"{self.word} CA bundle configured for the host could not be loaded")
        # Upstream's per-API declaration check (cur §3.5 step 4), None when it passes: fixed by the
        # plan, so decided once here and not again on every call (dispatch asks before each).
        self.unusable_reason: str | None = declaration_problem(self.api, self.targets, self.grants)

    def authorize(self, url: NetUrl, method: str = "") -> None:
        """For a parsed URL (and, for request, its method): the spelling and address policy, then
        manifest target ∩ grant (cur §3.6)."""
        if not url.standard_spelling:
            raise HostApiError(f"invalid {self.word} URL: IPv4 hosts must be written as four decimal numbers (a.b.c.d)")
        check_static(url, self.literals, self.word)
        reason = authorize_url(self.api, url.matched, method, self.targets, self.grants)
        if reason is not None:
            raise HostApiError(reason)

    def addresses(self, url: NetUrl, deadline: float) -> list[IPAddress]:
        """Where to connect: an IP literal as written, a name resolved once (and checked) before
        `deadline`, so nothing resolves it again."""
        if url.address is not None:
            return [url.address]
        return lookup(url.host, url.port, self.resolver, deadline, self.owner, self.word)
