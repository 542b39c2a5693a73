"""Scans and references shared by the checklist and DISA-benchmark tests.

Real scans come from a private engine through dockscap's own scan; hand-built
scans are only for what a real engine cannot produce (an undetermined
container, names no engine would accept).
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import xmlschema
from lxml import etree
from private_engine import PrivateEngine

from dockscap.evaluator.disa_benchmark import DisaBenchmark, load_disa_benchmark
from dockscap.evaluator.results import (
    Container,
    ContainerVerdict,
    EngineHost,
    EngineScan,
    Verdict,
)
from dockscap.generator.content import load_benchmark
from dockscap.generator.model import Benchmark

STIG_ID = "DKER-EE-002030"

# DESIGN.md, "STIG releases and identifiers", typed here rather than read back.
IDS = {
    "V1R1": ("V-95651", "SV-104789r1_rule", ()),
    "V2R1": ("V-235808", "SV-235808r627551_rule", ("SV-104789", "V-95651")),
    "V2R2": ("V-235808", "SV-235808r960963_rule", ("SV-104789", "V-95651")),
}
DISA_FILES = {
    "V1R1": "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V1R1_Manual-xccdf.xml",
    "V2R1": "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V2R1_Manual-xccdf.xml",
    "V2R2": "U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml",
}
# The number of Groups in each DISA file (reference/README.md: 100 and 101).
DISA_RULE_COUNTS = {"V1R1": 100, "V2R1": 100, "V2R2": 101}

# What the STIG Manager harness (tests/node/parse.mjs) makes of each status:
# its options keep unreviewed results, and an unreviewed result that carries
# finding details becomes `unreviewedCommented`, which it sets to informational.
STIG_MANAGER_RESULT = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "fail",
    Verdict.ERROR: "informational",
}


@functools.cache
def benchmark() -> Benchmark:
    return load_benchmark()


@functools.cache
def disa(reference: Path, release: str) -> DisaBenchmark:
    return load_disa_benchmark(reference / "disa" / DISA_FILES[release])


@functools.cache
def ckl_schema(reference: Path) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(
        str(reference / "checklist" / "U_Checklist_Schema_V2.xsd")
    )


def assert_valid_ckl(reference: Path, data: bytes) -> None:
    """DISA's own checklist schema, as STIG Viewer 2 ships it."""
    ckl_schema(reference).validate(etree.fromstring(data))


def real_scan(engine: PrivateEngine, release: str) -> EngineScan:
    """dockscap's scan of the private engine, as `dockscap evaluate` makes it."""
    from dockscap.evaluator.engine import connect
    from dockscap.evaluator.scan import scan

    chosen = benchmark().release(release)
    with connect(engine.url) as connection:
        return scan(connection, benchmark(), chosen)


def add_containers(engine: PrivateEngine, kinds: dict[str, str]) -> dict[str, str]:
    """Create containers by name: kind is read-only, writable or compose-writable.

    Returns each name's short id, from the engine itself.
    """
    ids = {}
    with engine.client() as client:
        image = engine.ensure_image(client)
        for name, kind in kinds.items():
            options: dict[str, object] = {"read_only": kind == "read-only"}
            if kind == "compose-writable":
                options["labels"] = {
                    "com.docker.compose.project": "shop",
                    "com.docker.compose.service": "web",
                }
            container = client.containers.create(
                image, ["sleep", "600"], name=name, **options
            )
            if kind != "read-only":
                container.start()
            ids[name] = container.id[:12]
    return ids


def hand_scan(
    release: str,
    verdicts: tuple[ContainerVerdict, ...],
    *,
    host: EngineHost | None = None,
    vanished: tuple[str, ...] = (),
) -> EngineScan:
    """A scan for writer-level tests of what a real engine cannot produce."""
    started = datetime(2024, 8, 1, 12, 0, tzinfo=UTC)
    return EngineScan(
        benchmark=benchmark(),
        release=benchmark().release(release),
        rule=benchmark().rule(STIG_ID),
        engine=host or EngineHost("unix:///run/docker.sock", "docker-host-1"),
        started=started,
        finished=started + timedelta(seconds=1),
        verdicts=verdicts,
        vanished=vanished,
    )


def verdict(
    name: str, outcome: Verdict, reason: str = "", labels: dict[str, str] | None = None
) -> ContainerVerdict:
    container = Container(
        id=hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest(),
        name=name,
        image="dockscap-test/busybox:latest",
        state="running",
        labels=labels or {},
    )
    return ContainerVerdict(container, outcome, reason or f"verdict {outcome}")


def ckl_vulns(data: bytes) -> dict[str, etree._Element]:
    """Each VULN of a CKL by its Rule_ID."""
    root = etree.fromstring(data)
    return {
        vuln.xpath("string(STIG_DATA[VULN_ATTRIBUTE='Rule_ID']/ATTRIBUTE_DATA)"): vuln
        for vuln in root.iterfind("STIGS/iSTIG/VULN")
    }


def ckl_attributes(vuln: etree._Element) -> list[tuple[str, str]]:
    return [
        (item.findtext("VULN_ATTRIBUTE") or "", item.findtext("ATTRIBUTE_DATA") or "")
        for item in vuln.iterfind("STIG_DATA")
    ]
