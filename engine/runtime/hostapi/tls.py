"""The TLS client context of the network host APIs (`https`, `request`, `websocket` over `wss`):
the system trust store plus `[plugins.host] https_ca_bundle`, chain and hostname verified, TLS 1.2
or newer. Built once per plan and API (loading the system store is not free)."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

from engine.runtime.hostapi.descriptor import HostApiError
from engine.safe_read import ReadError, read_bounded

MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024  # a system bundle is about 200 KiB


class ClientContext:
    """A lazily built client context; `get()` raises HostApiError(`failure`) when the configured
    bundle cannot be loaded (every call then fails the same way)."""

    def __init__(self, ca_bundle: str | Path | None, failure: str):
        self._ca_bundle = ca_bundle
        self._failure = failure
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def get(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                context = ssl.create_default_context()
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                if self._ca_bundle is not None:
                    # Read it ourselves, bounded and non-blocking: OpenSSL's own open of a FIFO
                    # named in the config would block this call (and every later one) forever.
                    try:
                        data = read_bounded(self._ca_bundle, MAX_CA_BUNDLE_BYTES)
                        context.load_verify_locations(cadata=data.decode("ascii") if b"-----BEGIN" in data else data)
                    except (ReadError, OSError, ssl.SSLError, ValueError):
                        raise HostApiError(self._failure) from None
                self._context = context
            return self._context
