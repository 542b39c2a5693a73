"""ssh:// engines, reached the way the docker CLI reaches them.

The CLI runs `ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio` and
speaks HTTP over that process's standard input and output. Here the process's
stdio is one end of a socket pair, so the HTTP client holds a real socket
(timeouts and all) and the user's ssh configuration, agent and known_hosts
apply as they do for the CLI.

This replaces the docker SDK's own ssh transport, whose module imports paramiko
even when it runs the system's ssh, which would cost every scan its import.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import tempfile
from typing import IO, Any
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
import urllib3.connectionpool
from docker.transport.basehttpadapter import BaseHTTPAdapter

log = logging.getLogger(__name__)

DIAL_STDIO = ["docker", "system", "dial-stdio"]


def ssh_command(endpoint: str) -> list[str]:
    """The ssh command line the docker CLI would run for ENDPOINT."""
    parts = urlsplit(endpoint)
    if parts.scheme != "ssh" or not parts.hostname:
        raise ValueError(f"not an ssh:// engine address: {endpoint}")
    command = ["ssh", "-T"]
    if parts.username:
        command += ["-l", parts.username]
    if parts.port:
        command += ["-p", str(parts.port)]
    return [*command, "--", parts.hostname, *DIAL_STDIO]


class SshConnection(urllib3.connection.HTTPConnection):
    """An HTTP connection whose socket is an ssh process's standard I/O."""

    def __init__(self, command: list[str], timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._command = command
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._said: str | None = None

    def connect(self) -> None:
        ours, theirs = socket.socketpair()
        # Kept open while ssh runs, closed in close(); a pipe could fill and block.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        with theirs:
            self._process = subprocess.Popen(
                self._command,
                stdin=theirs.fileno(),
                stdout=theirs.fileno(),
                stderr=self._stderr,
                env=_environment(),
                start_new_session=True,  # Ctrl-C stops dockscap, not ssh mid-answer
            )
        ours.settimeout(self.timeout if isinstance(self.timeout, float) else None)
        self.sock = ours
        log.debug("started %s (pid %d)", " ".join(self._command), self._process.pid)

    def ssh_error(self) -> str | None:
        """The last line ssh wrote on stderr, once it has exited; else None."""
        return self._said

    def close(self) -> None:
        # Closing our end is ssh's end of input: it exits by itself, and what
        # it said on the way out (why it failed, if it did) is kept.
        super().close()
        if self._process is not None:
            killed = False
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                killed = True
            self._said = self._last_line(killed) if self._process.returncode else None
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _last_line(self, killed: bool) -> str | None:
        """What ssh said last; nothing when it said nothing and was killed here,
        which leaves the error to what the connection saw (a timeout, say)."""
        if self._stderr is None or self._process is None:
            return None
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        if lines:
            return lines[-1]
        return None if killed else f"ssh exited with {self._process.returncode}"


class SshConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    def __init__(self, command: list[str], timeout: float, maxsize: int) -> None:
        super().__init__("localhost", timeout=timeout, maxsize=maxsize)
        self._command = command
        self._timeout = timeout
        self.last: SshConnection | None = None

    def _new_conn(self) -> SshConnection:
        self.last = SshConnection(self._command, self._timeout)
        return self.last


class SshAdapter(BaseHTTPAdapter):  # type: ignore[misc]
    """A requests adapter for the docker SDK's session: every URL, one ssh pool."""

    def __init__(self, endpoint: str, timeout: float, max_pool_size: int) -> None:
        super().__init__()
        self.pool = SshConnectionPool(ssh_command(endpoint), timeout, max_pool_size)

    def get_connection(self, url: Any, proxies: Any = None) -> SshConnectionPool:
        return self.pool

    def ssh_error(self) -> str | None:
        return self.pool.last.ssh_error() if self.pool.last else None

    def close(self) -> None:
        self.pool.close()


def _environment() -> dict[str, str]:
    # The SDK drops these too: they are for this Python, not for ssh's libraries.
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ("LD_LIBRARY_PATH", "SSL_CERT_FILE")
    }
