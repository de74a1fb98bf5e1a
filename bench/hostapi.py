"""Cost of the host APIs' checks: `HostApis.dispatch` versus doing the same thing directly.

Run: python bench/hostapi.py (needs the `test` extra for trustme). Prints calls/s and the ratio
(ours / baseline, measured in the same run) for:
- fs read of a 4 KiB file: dispatch (descriptor parse, fd walk, fstatat, O_NOFOLLOW open, fstat)
  versus `open(path).read()`;
- fs write of 4 KiB: dispatch (temp file, fsync, rename, folder fsync) versus open/write/fsync;
- https GET to a TLS server on 127.0.0.1: dispatch (checks, pinned socket, own parser) versus
  `http.client.HTTPSConnection` with the same SSL context, one connection per request both.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import ssl
import sys
import tempfile
import threading
import time
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from hostapi_plans import fs_grant, https_grant, make_plan  # noqa: E402

from engine.runtime import HostConfig  # noqa: E402
from engine.runtime.hostapi import HostApis  # noqa: E402


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"x" * 1024
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def rate(func, seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        func()
        count += 1
    return count / (time.perf_counter() - start)


def row(name: str, ours: float, base: float) -> None:
    print(f"{name:24} {ours:>10.0f} {base:>12.0f} {base / ours:>6.2f}")


def main() -> None:
    print(f"{'operation':24} {'calls/s':>10} {'baseline/s':>12} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a.txt").write_bytes(b"a" * 4096)
        apis = HostApis(make_plan(("fs",), fs=[fs_grant(root)]))
        read = json.dumps({"path": "a.txt"}).encode()
        assert apis.dispatch("fs", "read", read)[0]
        row("fs read 4 KiB", rate(lambda: apis.dispatch("fs", "read", read)),
            rate(lambda: (root / "a.txt").read_bytes()))
        write = json.dumps({"path": "b.txt", "content": "b" * 4096}).encode()

        def direct_write() -> None:
            with open(root / "c.txt", "wb") as handle:
                handle.write(b"b" * 4096)
                handle.flush()
                os.fsync(handle.fileno())

        row("fs write 4 KiB (fsync)", rate(lambda: apis.dispatch("fs", "write", write)), rate(direct_write))

        ca = trustme.CA()
        bundle = root / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        server.socket = server_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        apis = HostApis(make_plan(("https",), https=[https_grant("127.0.0.1", ("GET",))]),
                        HostConfig(https_ca_bundle=bundle))
        get = json.dumps({"method": "GET", "url": f"https://127.0.0.1:{port}/x"}).encode()
        assert apis.dispatch("https", "request", get)[0]
        client_context = ssl.create_default_context(cafile=str(bundle))

        def direct_get() -> None:
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=client_context, timeout=5)
            connection.request("GET", "/x")
            connection.getresponse().read()
            connection.close()

        row("https GET (loopback)", rate(lambda: apis.dispatch("https", "request", get)), rate(direct_get))
        server.shutdown()


if __name__ == "__main__":
    main()
