"""Start, populate and stop a private Docker engine that leaves any other engine alone.

Used by the tests and by `make run` when no engine answers. The engine is
Debian's dockerd with its own socket, exec root and data root (DESIGN.md, Real
components in tests); images are made with `docker import` from Debian's
busybox-static, since no registry is reachable.

    python scripts/private_engine.py start [--name NAME]
    python scripts/private_engine.py samples [--name NAME]
    python scripts/private_engine.py stop [--name NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

BUSYBOX = Path("/bin/busybox")
IMAGE = "dockscap-test/busybox:latest"
APPLETS = ("sh", "sleep", "true", "cat", "ls", "touch")


@dataclass(frozen=True)
class PrivateEngine:
    """The paths of one private engine; the default name gives DESIGN.md's paths."""

    name: str = ""

    @property
    def suffix(self) -> str:
        return f"-{self.name}" if self.name else ""

    @property
    def run_dir(self) -> Path:
        return Path(f"/run/dockscap-test{self.suffix}")

    @property
    def socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def data_root(self) -> Path:
        return Path(f"/var/lib/dockscap-test{self.suffix}")

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "dockerd.pid"

    @property
    def log(self) -> Path:
        return self.run_dir / "dockerd.log"

    def command(self) -> list[str]:
        return [
            "dockerd",
            "--host",
            self.url,
            "--exec-root",
            str(self.run_dir / "exec"),
            "--data-root",
            str(self.data_root),
            "--pidfile",
            str(self.pidfile),
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
        ]

    def client(self, timeout: int = 30) -> contextlib.closing[docker.DockerClient]:
        return contextlib.closing(
            docker.DockerClient(base_url=self.url, timeout=timeout)
        )

    def answers(self) -> bool:
        try:
            with self.client(timeout=3) as client:
                client.ping()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not up yet"
            return False

    def start(self, wait: float = 60.0) -> bool:
        """Start dockerd unless it already answers; True when this call started it."""
        if self.answers():
            return False
        if shutil.which("dockerd") is None:
            raise RuntimeError("dockerd is not installed (Debian package docker.io)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_pidfile()
        with self.log.open("ab") as log:
            subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.answers():
                return True
            time.sleep(0.2)
        raise RuntimeError(f"dockerd did not answer on {self.url}; see {self.log}")

    def _remove_stale_pidfile(self) -> None:
        """dockerd refuses to start over a pidfile left by one that was killed."""
        try:
            os.kill(int(self.pidfile.read_text().strip()), 0)
        except (OSError, ValueError):
            self.pidfile.unlink(missing_ok=True)

    def stop(self, wait: float = 30.0) -> None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)

    def ensure_image(self, client: docker.DockerClient) -> str:
        """Import a busybox image once; no registry is needed."""
        try:
            client.images.get(IMAGE)
        except docker.errors.ImageNotFound:
            client.api.import_image_from_data(busybox_rootfs(), repository=IMAGE)
        return IMAGE

    def remove_all_containers(self, client: docker.DockerClient) -> None:
        for container in client.containers.list(all=True):
            container.remove(force=True, v=True)


def busybox_rootfs() -> bytes:
    """A tar of a root filesystem holding Debian's static busybox and a few applets."""
    if not BUSYBOX.is_file():
        raise RuntimeError(f"{BUSYBOX} is missing (Debian package busybox-static)")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "tmp", "data"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
    return buffer.getvalue()


# Name, create options, and what becomes of it: run (and keep running), exit, create.
SAMPLES = (
    ("web-readonly", {"read_only": True, "tmpfs": {"/tmp": ""}}, "run"),
    ("cache-writable", {}, "run"),
    ("job-done-readonly", {"read_only": True}, "exit"),
    ("batch-writable-created", {}, "create"),
)


def add_samples(engine: PrivateEngine) -> int:
    """A few containers, some read-only and some not, for a first run of dockscap.

    Returns how many other containers the engine holds (added by hand since).
    """
    with engine.client() as client:
        image = engine.ensure_image(client)
        for name, options, how in SAMPLES:
            if client.containers.list(all=True, filters={"name": f"^{name}$"}):
                continue
            command = ["sleep", "86400"] if how == "run" else ["true"]
            container = client.containers.create(image, command, name=name, **options)
            if how != "create":
                container.start()
        names = {item.name for item in client.containers.list(all=True)}
    return len(names - {name for name, _, _ in SAMPLES})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "samples", "stop"))
    parser.add_argument("--name", default="", help="engine name (paths get -NAME)")
    arguments = parser.parse_args()
    engine = PrivateEngine(arguments.name)

    if arguments.action == "start":
        started = engine.start()
        print(f"{'started' if started else 'already running'}: {engine.url}")
    elif arguments.action == "samples":
        add_samples(engine)
        print(f"sample containers are on {engine.url}")
    else:
        engine.stop()
        print(
            f"stopped: {engine.url} (its containers stay in {engine.data_root}, "
            "for the next start)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
