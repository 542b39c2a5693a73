"""A recording relay in front of the engine's socket: which requests dockscap sends.

The issue's target "listing never asks the engine for container sizes" is a
fact about the requests on the wire, so the benchmark checks it there: one
untimed dockscap run goes through this relay, which passes every byte on
unchanged and notes the request line of every HTTP request the client sends.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r?$", re.MULTILINE)
LISTING = re.compile(r"^(/v[\d.]+)?/containers/json$")
CHUNK = 1 << 16


@dataclass
class RequestRecorder:
    """Listen on SOCKET, relay to ENGINE_SOCKET, record (method, target) pairs."""

    engine_socket: Path
    socket_path: Path
    requests: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def __enter__(self) -> RequestRecorder:
        self.socket_path.unlink(missing_ok=True)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.socket_path))
        self._listener.listen(16)
        self._start(self._accept, self._listener)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._listener is not None:
            self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.socket_path.unlink(missing_ok=True)

    def _start(self, target: Callable[..., None], *arguments: object) -> None:
        thread = threading.Thread(target=target, args=arguments, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(str(self.engine_socket))
            self._start(self._relay, client, engine, True)
            self._start(self._relay, engine, client, False)

    def _relay(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        """Pass bytes on until either side closes; a reset just ends the relay."""
        pending = b""
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK):
                sink.sendall(data)
                if record:
                    pending = self._note(pending + data)
        for end in (source, sink):
            _close(end)

    def _note(self, data: bytes) -> bytes:
        """Record the complete request lines in DATA; return the unfinished rest."""
        complete, _, rest = data.rpartition(b"\n")
        found = [
            (method.decode(), target.decode())
            for method, target in REQUEST_LINE.findall(complete)
        ]
        with self._lock:
            self.requests.extend(found)
        return rest


def _close(end: socket.socket) -> None:
    with contextlib.suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)
    end.close()


@dataclass(frozen=True)
class Audit:
    """What the recorded requests show."""

    requests: int
    methods: tuple[str, ...]
    listings: tuple[str, ...]
    problems: tuple[str, ...]


def audit(requests: list[tuple[str, str]]) -> Audit:
    """Only GETs; every listing asks for all containers and never for sizes."""
    problems: list[str] = []
    methods = sorted({method for method, _ in requests})
    if methods != ["GET"]:
        problems.append(f"methods other than GET: {methods}")

    listings = [target for _, target in requests if _is_listing(target)]
    if not listings:
        problems.append("no container listing was sent")
    for target in listings:
        query = parse_qs(urlsplit(target).query)
        if query.get("size", ["0"])[-1].lower() not in ("0", "false"):
            problems.append(f"the listing asks for sizes: {target}")
        if query.get("all", ["0"])[-1].lower() not in ("1", "true"):
            problems.append(f"the listing leaves stopped containers out: {target}")
    return Audit(len(requests), tuple(methods), tuple(listings), tuple(problems))


def _is_listing(target: str) -> bool:
    return LISTING.match(urlsplit(target).path) is not None
