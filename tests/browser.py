"""Open a page in real headless Chromium and hear everything its console says.

Chromium speaks the DevTools protocol over a pipe (`--remote-debugging-pipe`:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so the tests
need no driver, no network port and no Python package beyond the standard
library. Console errors, uncaught exceptions and failed loads are all collected.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0


class Page:
    """One tab of a headless Chromium, loaded with a file, driven over CDP."""

    def __init__(self, process: subprocess.Popen[bytes], send: int, receive: int):
        self._process = process
        self._send = send
        self._receive = receive
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        message["params"] = params
        if self._session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self._session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def open(self, url: str, width: int = 1360, height: int = 900) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self._session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        answer = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, path: Path, top: int | None = None) -> None:
        """A PNG of the whole page, or of one viewport's height from TOP down."""
        if top is None:
            shot = self.call(
                "Page.captureScreenshot", format="png", captureBeyondViewport=True
            )
        else:
            width, height = self.evaluate("[innerWidth, innerHeight]")
            clip = {"x": 0, "y": top, "width": width, "height": height, "scale": 1}
            shot = self.call(
                "Page.captureScreenshot",
                format="png",
                clip=clip,
                captureBeyondViewport=True,
            )
        path.write_bytes(base64.b64decode(shot["data"]))

    def console_problems(self) -> list[str]:
        """Every console error or warning, uncaught exception and failed load so far."""
        self.evaluate("0")  # drain events that arrived after the last answer
        problems = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "warning",
                "assert",
            ):
                texts = [
                    str(arg.get("value", arg.get("description")))
                    for arg in params["args"]
                ]
                problems.append(f"console.{params['type']}: {' '.join(texts)}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                description = details.get("exception", {}).get("description", "")
                problems.append(f"exception: {details['text']} {description}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in (
                "error",
                "warning",
            ):
                entry = params["entry"]
                problems.append(f"log {entry['source']}: {entry['text']}")
        return problems

    def _wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(event.get("method") == method for event in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"Chromium sent no {method}")
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._receive, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe ({self._process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        loaded: dict[str, Any] = json.loads(message)
        return loaded


@contextmanager
def chromium(executable: str) -> Iterator[Page]:
    """A fresh headless Chromium with its own profile, closed afterwards."""
    to_chromium, from_us = os.pipe()
    to_us, from_chromium = os.pipe()
    pipes = (to_chromium, from_chromium)
    with tempfile.TemporaryDirectory(prefix="dockscap-chromium-") as profile:

        def plumb() -> None:
            # Chromium reads commands on fd 3 and writes answers on fd 4; copy
            # both above 10 first, so neither is overwritten by the other's dup2.
            read, write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in pipes)
            os.dup2(read, 3)
            os.dup2(write, 4)

        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4),  # closing other descriptors comes after plumb()
            preexec_fn=plumb,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chromium)
        os.close(from_chromium)
        page = Page(process, from_us, to_us)
        try:
            yield page
        finally:
            try:
                page.call("Browser.close")
                process.wait(timeout=TIMEOUT)
            except (RuntimeError, OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
            os.close(from_us)
            os.close(to_us)
