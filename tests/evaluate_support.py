"""Containers in every state on a private engine, for the evaluator's tests.

Each Spec says how a container is made; `expected` is the verdict that follows
from the making (the --read-only flag), worked out without dockscap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from private_engine import PrivateEngine

from dockscap.evaluator.engine import connect, container_from_inspect
from dockscap.evaluator.results import ContainerVerdict, EngineHost, EngineScan, Verdict
from dockscap.evaluator.scan import scan
from dockscap.evaluator.verdicts import readonly_rootfs_verdict
from dockscap.generator.content import load_benchmark

STIG_ID = "DKER-EE-002030"
RULE_IDS = {
    "V1R1": "SV-104789r1_rule",
    "V2R1": "SV-235808r627551_rule",
    "V2R2": "SV-235808r960963_rule",
}
STATES = ("running", "exited", "created", "paused")


@dataclass(frozen=True)
class Spec:
    name: str
    read_only: bool
    state: str
    tmpfs: bool = False
    volume: bool = False

    @property
    def expected(self) -> Verdict:
        return Verdict.PASS if self.read_only else Verdict.FAIL


# Read-only and writable in each state, with tmpfs and with volumes.
MIXED = (
    *(Spec(f"ro-{state}", True, state) for state in STATES),
    *(Spec(f"rw-{state}", False, state) for state in STATES),
    Spec("ro-tmpfs", True, "running", tmpfs=True),
    Spec("rw-tmpfs", False, "running", tmpfs=True),
    Spec("ro-volume", True, "running", volume=True),
    Spec("rw-volume", False, "exited", volume=True),
)
ALL_READ_ONLY = tuple(spec for spec in MIXED if spec.read_only)


def make_containers(engine: PrivateEngine, specs: Iterable[Spec]) -> dict[str, str]:
    """Create each container and bring it to its state; name -> full id."""
    ids = {}
    with engine.client() as client:
        image = engine.ensure_image(client)
        for spec in specs:
            ids[spec.name] = _make(client, image, spec)
    return ids


def _make(client: Any, image: str, spec: Spec) -> str:
    options: dict[str, Any] = {"read_only": spec.read_only}
    if spec.tmpfs:
        options["tmpfs"] = {"/tmp": "size=1m"}
    if spec.volume:
        options["volumes"] = ["/data"]
    lasting = spec.state in ("running", "paused")
    command = ["sleep", "3600"] if lasting else ["true"]
    container = client.containers.create(image, command, name=spec.name, **options)

    if spec.state != "created":
        container.start()
    if spec.state == "exited":
        container.wait(timeout=30)
    if spec.state == "paused":
        container.pause()
    return str(container.id)


def real_scan(engine: PrivateEngine, release: str | None = None) -> EngineScan:
    benchmark = load_benchmark()
    with connect(engine.url) as connection:
        return scan(connection, benchmark, benchmark.release(release))


def hand_scan(
    release: str,
    inspects: dict[str, dict[str, Any]],
    host: EngineHost | None = None,
) -> EngineScan:
    """A scan of inspect documents no engine produces; verdicts by the real rule."""
    verdicts = []
    for name, document in inspects.items():
        document = {
            "Id": hashlib.sha256(name.encode()).hexdigest(),
            "Name": f"/{name}",
            **document,
        }
        verdict, reason = readonly_rootfs_verdict(document)
        verdicts.append(
            ContainerVerdict(container_from_inspect(document), verdict, reason)
        )

    benchmark = load_benchmark()
    started = datetime(2024, 8, 1, 12, 0, tzinfo=UTC)
    return EngineScan(
        benchmark=benchmark,
        release=benchmark.release(release),
        rule=benchmark.rule(STIG_ID),
        engine=host or EngineHost("unix:///run/docker.sock", "docker-host-1"),
        started=started,
        finished=started + timedelta(seconds=2),
        verdicts=tuple(verdicts),
    )
