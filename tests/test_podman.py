"""A Podman engine's Docker-compatible API gives the same verdicts and names.

A private, rootful `podman system service` (its own storage root, vfs storage,
its own socket) and the private dockerd get the same containers, made the same
way through the docker SDK; `dockscap evaluate` must say the same of both.

Podman as root gives every container RLIMIT_NOFILE and RLIMIT_NPROC limits of
its own choosing; runc must then set them, and a machine that refuses that (as
the sandbox these tests were written in does: "error setting rlimits for ready
process ... operation not permitted") starts no container. The service gets a
containers.conf with lower limits, which any machine allows.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from conftest import require, require_tool
from evaluate_support import MIXED, make_containers
from fault_proxy import fault_proxy
from private_engine import IMAGE, PrivateEngine, busybox_rootfs

pytestmark = pytest.mark.engine

DOCKSCAP = str(Path(sys.executable).with_name("dockscap"))
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=2048:2048"]
"""


@dataclass(frozen=True)
class PodmanEngine:
    """A private rootful Podman service, used where a PrivateEngine is."""

    podman: str
    root: Path
    run_dir: Path

    @property
    def socket(self) -> Path:
        return self.run_dir / "podman.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def command(self, *arguments: str) -> list[str]:
        return [
            self.podman,
            "--root",
            str(self.root),
            "--runroot",
            str(self.run_dir / "run"),
            "--storage-driver",
            "vfs",
            *arguments,
        ]

    def client(self, timeout: int = 60) -> contextlib.closing[docker.DockerClient]:
        return contextlib.closing(
            docker.DockerClient(base_url=self.url, timeout=timeout)
        )

    def ensure_image(self, client: docker.DockerClient) -> str:
        client.images.get(IMAGE)  # imported by the fixture, with `podman import`
        return IMAGE

    def remove_all_containers(self, client: docker.DockerClient) -> None:
        for container in client.containers.list(all=True):
            container.remove(force=True, v=True)


@pytest.fixture(scope="module")
def podman_engine(private_engine: PrivateEngine) -> Iterator[PodmanEngine]:
    podman = require_tool("podman", "podman")
    require(os.geteuid() == 0, "a rootful podman service needs root")
    suffix = private_engine.suffix
    engine = PodmanEngine(
        podman,
        Path(f"/var/lib/dockscap-podman{suffix}"),
        Path(f"/run/dockscap-podman{suffix}"),
    )
    engine.run_dir.mkdir(parents=True, exist_ok=True)
    settings = Path(tempfile.mkdtemp(prefix="dockscap-podman-"))
    (settings / "containers.conf").write_text(CONTAINERS_CONF)
    (settings / "busybox.tar").write_bytes(busybox_rootfs())
    environment = {**os.environ, "CONTAINERS_CONF": str(settings / "containers.conf")}

    subprocess.run(
        engine.command("import", str(settings / "busybox.tar"), IMAGE),
        check=True,
        capture_output=True,
        env=environment,
    )
    with (engine.run_dir / "service.log").open("wb") as log:
        service = subprocess.Popen(
            engine.command("system", "service", "--time=0", engine.url),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    try:
        _wait_until_it_answers(engine, service)
        with engine.client() as client:
            engine.remove_all_containers(client)
        yield engine
        with engine.client() as client:
            engine.remove_all_containers(client)
    finally:
        service.terminate()
        service.wait(timeout=60)
        shutil.rmtree(settings, ignore_errors=True)


def _wait_until_it_answers(
    engine: PodmanEngine, service: subprocess.Popen[Any]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and service.poll() is None:
        with contextlib.suppress(Exception), engine.client(timeout=3) as client:
            client.ping()
            return
        time.sleep(0.2)
    raise AssertionError(f"podman did not answer; see {engine.run_dir}/service.log")


def _evaluate_json(url: str) -> tuple[int, dict[str, Any]]:
    run = subprocess.run(
        [DOCKSCAP, "evaluate", "--host", url, "--json", "-"],
        capture_output=True,
        timeout=300,
    )
    return run.returncode, json.loads(run.stdout)


def test_podman_gives_the_verdicts_and_names_docker_gives(
    engine: PrivateEngine, podman_engine: PodmanEngine
) -> None:
    docker_ids = make_containers(engine, MIXED)
    podman_ids = make_containers(podman_engine, MIXED)  # type: ignore[arg-type]

    docker_code, docker_json = _evaluate_json(engine.url)
    podman_code, podman_json = _evaluate_json(podman_engine.url)

    expected = {spec.name: (str(spec.expected), spec.state) for spec in MIXED}
    for code, document, ids in (
        (docker_code, docker_json, docker_ids),
        (podman_code, podman_json, podman_ids),
    ):
        (host,) = document["hosts"]
        containers = host["containers"]
        assert code == 2
        assert host["result"] == "fail"
        assert {c["name"]: (c["verdict"], c["state"]) for c in containers} == expected
        assert {c["name"]: c["id"] for c in containers} == ids
        assert host["vanished"] == []
    # Podman names the image it was given by its fully qualified name.
    podman_images = {c["image"] for c in podman_json["hosts"][0]["containers"]}
    assert podman_images == {f"localhost/{IMAGE}"}
    assert podman_json["hosts"][0]["engine"]["engine_version"].startswith("4.")


def _as_other_podman_versions_answer(
    method: str, path: str, status: int, body: bytes
) -> tuple[int, bytes]:
    """Canned: real dockerd answers reshaped as other Podman releases give them:
    names without Docker's leading slash, and times in other formats."""
    if status != 200 or "/containers/" not in path:
        return status, body
    document = json.loads(body)
    for entry in document if isinstance(document, list) else [document]:
        if "Names" in entry:
            entry["Names"] = [name.lstrip("/") for name in entry["Names"]]
            entry["Created"] = str(entry["Created"])  # epoch seconds, as a string
        if "Name" in entry:
            entry["Name"] = entry["Name"].lstrip("/")
            entry["Created"] = "2024-05-01 10:00:00.123456789 +0200 CEST"
            entry["State"]["StartedAt"] = "2024-05-01T10:00:01.5+02:00"
    return status, json.dumps(document).encode()


def test_podman_s_other_field_forms_give_the_same_verdicts_and_names(
    engine: PrivateEngine,
) -> None:
    make_containers(engine, MIXED)
    changed: list[str] = []

    def reshape(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
        status, new = _as_other_podman_versions_answer(method, path, status, body)
        if new != body:
            changed.append(path)
        return status, new

    short = Path(tempfile.mkdtemp(prefix="dsp-", dir="/tmp"))
    try:
        _, direct = _evaluate_json(engine.url)
        with fault_proxy(short / "p.sock", engine.socket, rewrite=reshape) as proxy:
            _, reshaped = _evaluate_json(proxy.url)
    finally:
        shutil.rmtree(short, ignore_errors=True)

    def seen(document: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
        return {
            c["name"]: (c["verdict"], c["state"], c["id"])
            for c in document["hosts"][0]["containers"]
        }

    assert len(changed) == 1 + len(MIXED)  # the listing and every inspect
    assert seen(reshaped) == seen(direct)
    assert set(seen(direct)) == {spec.name for spec in MIXED}
