"""A private engine with a mix of containers, scanned by the real evaluator.

MIXED says, for each container the tests create, what its root filesystem is;
the tests compare outputs with this table, not with the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from private_engine import IMAGE, PrivateEngine

from dockscap.evaluator.engine import connect
from dockscap.evaluator.results import EngineScan
from dockscap.evaluator.scan import scan
from dockscap.generator.content import load_benchmark

COMPOSE = "com.docker.compose"


@dataclass(frozen=True)
class Sample:
    name: str
    read_only: bool
    how: str  # run, exit or create
    labels: Mapping[str, str] = field(default_factory=dict)


MIXED = (
    Sample(
        "shop-web-1",
        True,
        "run",
        {f"{COMPOSE}.project": "shop", f"{COMPOSE}.service": "web", "env": "prod"},
    ),
    Sample(
        "shop-api-1",
        False,
        "run",
        {f"{COMPOSE}.project": "shop", f"{COMPOSE}.service": "api", "env": "prod"},
    ),
    Sample("legacy-reporting", False, "create", {"env": "prod"}),
    Sample("nightly-batch", False, "exit", {"com.example.exception": "batch"}),
    Sample("scratch", False, "create", {"env": "dev"}),
    Sample("job-done", True, "exit", {"env": "dev"}),
)

WAIVERS_YAML = """\
# Approved exceptions for DKER-EE-002030.
- container: legacy-*
  justification: Vendor image writes its cache under /opt at start; OPS-1234.
  approver: J. Smith, ISSO
  expires: 2999-12-31
- label: com.example.exception=batch
  justification: Batch job to be retired.
  approver: A. Jones, ISSM
  expires: 2020-01-31
"""


def create(engine: PrivateEngine, samples: tuple[Sample, ...] = MIXED) -> None:
    with engine.client() as client:
        for sample in samples:
            command = ["sleep", "86400"] if sample.how == "run" else ["true"]
            container = client.containers.create(
                IMAGE,
                command,
                name=sample.name,
                read_only=sample.read_only,
                labels=dict(sample.labels),
            )
            if sample.how == "exit":
                container.start()
                container.wait(timeout=30)
            elif sample.how == "run":
                container.start()


def scan_engine(engine: PrivateEngine) -> EngineScan:
    """The evaluator's own scan of the private engine, newest release."""
    benchmark = load_benchmark()
    with connect(engine.url) as connected:
        return scan(connected, benchmark, benchmark.release(None))
