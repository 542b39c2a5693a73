"""A unix-socket proxy in front of a real engine that records every request line.

It forwards bytes both ways untouched and notes each HTTP request line the
client sends, so a test can see exactly which methods and paths dockscap used.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r?$", re.MULTILINE)


class RecordingProxy:
    def __init__(self, listen: Path, engine_socket: Path) -> None:
        self.listen = listen
        self.engine_socket = engine_socket
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(listen))
        self._server.listen(16)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"unix://{self.listen}"

    def serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(str(self.engine_socket))
            for source, target, record in (
                (client, engine, True),
                (engine, client, False),
            ):
                thread = threading.Thread(
                    target=self._pump, args=(source, target, record), daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _pump(self, source: socket.socket, target: socket.socket, record: bool) -> None:
        pending = b""
        try:
            while data := source.recv(65536):
                if record:
                    pending = self._note(pending + data)
                target.sendall(data)
        except OSError:
            pass  # either side hung up: the other is shut down below
        finally:
            for end in (source, target):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _note(self, data: bytes) -> bytes:
        """Record complete request lines; keep an unfinished last line for later."""
        complete, _, rest = data.rpartition(b"\n")
        with self._lock:
            for method, path in REQUEST_LINE.findall(complete):
                self.requests.append((method.decode(), path.decode()))
        return rest

    def close(self) -> None:
        self._server.close()


@contextmanager
def recording_proxy(listen: Path, engine_socket: Path) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(listen, engine_socket)
    server = threading.Thread(target=proxy.serve, daemon=True)
    server.start()
    try:
        yield proxy
    finally:
        proxy.close()
