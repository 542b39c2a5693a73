"""An HTTP proxy on a unix socket in front of a real engine, for faults on demand.

A real engine cannot be made to speak an old API, to report an odd
ReadonlyRootfs, or to lose a container at the right moment. This proxy passes
every request to a real engine and hands its answer back, except where a test
asks for a fault:

- `rewrite(method, path, status, body)` may replace an answer: the changed
  answer is canned by the test that asked for it (and the test says so);
- `after(method, path, status, body)` runs after the engine answered and before
  the answer goes back, to change the engine itself (remove containers,
  really, through the engine);
- `before(method, path)` runs before the request is passed on (to delay it, or
  to note that the scan got this far).

Every request line is recorded, as `RecordingProxy` records them.
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

Rewrite = Callable[[str, str, int, bytes], tuple[int, bytes]]
After = Callable[[str, str, int, bytes], None]
Before = Callable[[str, str], None]

# Headers that describe the connection or the body's framing, which the proxy
# sets itself.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float = 60.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


class FaultProxy(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(
        self,
        listen: Path,
        engine_socket: Path,
        *,
        rewrite: Rewrite | None = None,
        after: After | None = None,
        before: Before | None = None,
    ) -> None:
        self.listen = listen
        self.engine_socket = engine_socket
        self.rewrite = rewrite
        self.after = after
        self.before = before
        self.requests: list[tuple[str, str]] = []
        self.connections = 0
        self.lock = threading.Lock()
        super().__init__(str(listen), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)

    @property
    def url(self) -> str:
        return f"unix://{self.listen}"

    def paths(self, method: str = "GET") -> list[str]:
        with self.lock:
            return [path for seen, path in self.requests if seen == method]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultProxy

    def _forward(self) -> None:
        proxy = self.server
        method, path = self.command, self.path
        with proxy.lock:
            proxy.requests.append((method, path))
        if proxy.before:
            proxy.before(method, path)

        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else None
        status, headers, body = _ask(proxy.engine_socket, method, path, sent)

        if proxy.after:
            proxy.after(method, path, status, body)
        if proxy.rewrite:
            status, body = proxy.rewrite(method, path, status, body)

        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: Any) -> None:
        return  # the requests are recorded; the test's output stays clean


def _ask(
    engine: Path, method: str, path: str, body: bytes | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = UnixConnection(engine)
    try:
        connection.request(method, path, body=body, headers={"Host": "docker"})
        answer = connection.getresponse()
        return answer.status, answer.getheaders(), answer.read()
    finally:
        connection.close()


@contextmanager
def fault_proxy(
    listen: Path,
    engine_socket: Path,
    *,
    rewrite: Rewrite | None = None,
    after: After | None = None,
    before: Before | None = None,
) -> Iterator[FaultProxy]:
    proxy = FaultProxy(
        listen, engine_socket, rewrite=rewrite, after=after, before=before
    )
    server = threading.Thread(target=proxy.serve_forever, daemon=True)
    server.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        listen.unlink(missing_ok=True)
