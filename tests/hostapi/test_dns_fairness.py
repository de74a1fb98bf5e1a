"""Issue 17 point 5: one plugin's DNS cannot starve another's. Plugin A's resolver blocks (a slow
authoritative server); A's lookups are given up at their deadlines and keep their threads, but
only A's share: plugin B's lookups, through the same process-wide pool, still answer at once. On
main the first eight given-up lookups of A held every slot of one pool of 8, and B's lookups timed
out. A caller that gives up releases its accounting at once."""

from __future__ import annotations

import threading
import time

import pytest

from engine.grants.model import HttpsGrant
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.dns import MAX_THREADS, PER_PLUGIN, POOL
from engine.runtime.hostapi.https import HttpsApi, parse_target

SLOW, FAST = "slow.example", "fast.example"


@pytest.fixture
def resolver():
    release = threading.Event()
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host == SLOW:
            release.wait(30)
        return ["93.184.216.34"]

    yield resolve, calls
    release.set()


def _api(owner: str, host: str, resolve) -> HttpsApi:
    return HttpsApi((HttpsGrant(host, ("GET",)),), None, resolve, owner=owner)


def test_a_plugin_with_a_stuck_resolver_does_not_starve_another(resolver):
    resolve, calls = resolver
    slow, fast = _api("project:a", SLOW, resolve), _api("project:b", FAST, resolve)
    slow_target, fast_target = parse_target(f"https://{SLOW}/"), parse_target(f"https://{FAST}/")
    for _ in range(3 * PER_PLUGIN):  # far past A's share, and past the old pool of 8
        with pytest.raises(HostApiError, match="timed out"):
            slow._resolve(slow_target, time.monotonic() + 0.03)
    assert calls.count(SLOW) == PER_PLUGIN  # A's given-up lookups are capped at its share
    assert POOL.counts("project:a") == (0, PER_PLUGIN)  # no caller of A is still accounted as waiting
    for _ in range(2 * MAX_THREADS // PER_PLUGIN):  # B's lookups answer (on main: "timed out")
        addresses = fast._resolve(fast_target, time.monotonic() + 5)
        assert [str(a) for a in addresses] == ["93.184.216.34"]
    assert POOL.counts("project:b") == (0, 0)


def test_concurrent_callers_of_one_plugin_wait_within_their_share(resolver):
    resolve, calls = resolver
    slow = _api("project:c", SLOW, resolve)
    target = parse_target(f"https://{SLOW}/")
    errors: list[str] = []

    def one() -> None:
        try:
            slow._resolve(target, time.monotonic() + 0.3)
        except HostApiError as error:
            errors.append(error.message)

    threads = [threading.Thread(target=one) for _ in range(3 * PER_PLUGIN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 3 * PER_PLUGIN and all("timed out" in e for e in errors)
    assert calls.count(SLOW) <= PER_PLUGIN
