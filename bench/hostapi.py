"""Cost of the host APIs' checks: `HostApis.dispatch` versus doing the same thing directly.

Run: python bench/hostapi.py (needs the `test` extra for trustme). Prints calls/s and the ratio
(ours / baseline, measured in the same run) for:
- fs read of a 4 KiB file: dispatch (descriptor parse, fd walk, fstatat, O_NOFOLLOW open, fstat)
  versus `open(path).read()`;
- fs write of 4 KiB: dispatch (temp file, fsync, rename, folder fsync) versus open/write/fsync;
- https GET to a TLS server on 127.0.0.1: dispatch (checks, pinned socket, own parser) versus
  `http.client.HTTPSConnection` with the same SSL context, one connection per request both;
- request GET (yoi b12e0785's API: manifest target ∩ grant matched per call) to the same server
  over https and to a plain HTTP one, versus `http.client` alike;
- websocket: a text round trip (send-text then recv on an open handle) to a loopback echo server,
  versus the `websockets` sync client used directly on one connection; and open+close, versus the
  client's own connect+close.
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
from hostapi_plans import fs_grant, https_grant, make_plan, request_target, websocket_target  # noqa: E402

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
        target = request_target("https", "127.0.0.1", ("GET",), ("/x",))
        apis = HostApis(make_plan(("request",), request=[target]), HostConfig(https_ca_bundle=bundle))
        assert apis.dispatch("request", "request", get)[0]
        row("request GET https", rate(lambda: apis.dispatch("request", "request", get)), rate(direct_get))
        server.shutdown()
        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=plain.serve_forever, daemon=True).start()
        plain_port = plain.server_address[1]
        target = request_target("http", "127.0.0.1", ("GET",), ("/x",))
        apis = HostApis(make_plan(("request",), request=[target]))
        plain_get = json.dumps({"method": "GET", "url": f"http://127.0.0.1:{plain_port}/x"}).encode()
        assert apis.dispatch("request", "request", plain_get)[0]

        def direct_plain_get() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=5)
            connection.request("GET", "/x")
            connection.getresponse().read()
            connection.close()

        row("request GET http", rate(lambda: apis.dispatch("request", "request", plain_get)), rate(direct_plain_get))
        plain.shutdown()
        websocket_rows()


def websocket_rows() -> None:
    import warnings

    from websockets.sync.client import connect

    # websockets 17 asks for `with connect(...)`; the baseline keeps one connection open across calls.
    warnings.filterwarnings("ignore", message="connect\\(\\) must be used as a context manager")
    from websockets.sync.server import serve

    def echo(connection) -> None:
        for message in connection:
            connection.send(message)

    server = serve(echo, "127.0.0.1", 0, compression=None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/socket"
    apis = HostApis(make_plan(("websocket",), websocket=[websocket_target("ws", "127.0.0.1", ("/socket",))]))
    ok, answer = apis.dispatch("websocket", "open", json.dumps({"url": url}).encode())
    assert ok, answer
    handle = json.loads(answer)["handle"]
    direct = connect(url, compression=None, proxy=None, ping_interval=None)

    def ours() -> None:
        apis.dispatch_call("websocket", "send-text", (handle, "ping"))
        apis.dispatch_call("websocket", "recv", (handle, 5000))

    def theirs() -> None:
        direct.send("ping")
        direct.recv(timeout=5)

    row("websocket round trip", rate(ours), rate(theirs))
    opening = json.dumps({"url": url}).encode()

    def ours_open() -> None:
        opened = json.loads(apis.dispatch("websocket", "open", opening)[1])["handle"]
        apis.dispatch_call("websocket", "close", (opened,))

    def theirs_open() -> None:
        connect(url, compression=None, proxy=None, ping_interval=None).close()

    row("websocket open+close", rate(ours_open), rate(theirs_open))
    direct.close()
    apis.release()
    server.shutdown()


if __name__ == "__main__":
    main()
