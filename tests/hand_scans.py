"""EngineScans built by hand, for cases a real engine cannot produce on demand.

An engine always reports ReadonlyRootfs as a boolean, so undetermined verdicts,
vanished containers, swarm services and chosen scan dates are made here. The
verdict still comes from the real `readonly_rootfs_verdict` on an inspect-like
document, never typed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from dockscap.evaluator.results import (
    Container,
    ContainerVerdict,
    EngineHost,
    EngineScan,
)
from dockscap.evaluator.verdicts import readonly_rootfs_verdict
from dockscap.generator.content import load_benchmark

MISSING = object()


def container(
    name: str,
    readonly: object = MISSING,
    *,
    image: str = "dockscap-test/busybox:latest",
    state: str = "running",
    labels: Mapping[str, str] | None = None,
) -> ContainerVerdict:
    """A container and its verdict from an inspect document with READONLY as given.

    READONLY left out means HostConfig.ReadonlyRootfs is missing altogether.
    """
    host_config = {} if readonly is MISSING else {"ReadonlyRootfs": readonly}
    verdict, reason = readonly_rootfs_verdict({"HostConfig": host_config})
    facts = Container(
        id=hashlib.sha256(name.encode()).hexdigest(),
        name=name,
        image=image,
        state=state,
        labels=dict(labels or {}),
    )
    return ContainerVerdict(facts, verdict, reason)


def scan(
    verdicts: Sequence[ContainerVerdict],
    *,
    started: datetime | None = None,
    engine: str = "docker-host-01",
    filters: Sequence[str] = (),
    vanished: Sequence[str] = (),
    release: str | None = None,
) -> EngineScan:
    benchmark = load_benchmark()
    started = started or datetime.now().astimezone()
    return EngineScan(
        benchmark=benchmark,
        release=benchmark.release(release),
        rule=benchmark.rule("DKER-EE-002030"),
        engine=EngineHost(
            endpoint="unix:///var/run/docker.sock",
            name=engine,
            engine_version="20.10.24",
            api_version="1.41",
            operating_system="Debian GNU/Linux 12 (bookworm)",
            kernel_version="6.1.0-18-amd64",
            architecture="x86_64",
            ip_addresses=("192.0.2.10",),
        ),
        started=started,
        finished=started + timedelta(seconds=2),
        verdicts=tuple(verdicts),
        vanished=tuple(vanished),
        filters=tuple(filters),
    )
