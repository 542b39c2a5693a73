"""The results model: what one scan of one engine found, ready for every writer.

Writers (ARF, XCCDF, CKL, CKLB, the terminal summary) read only this model and
the rule model, so they all tell the same story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from dockscap.generator.model import Benchmark, Release, Rule

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
SWARM_SERVICE = "com.docker.swarm.service.name"


class Verdict(StrEnum):
    """XCCDF result values (NISTIR 7275r4 table 26) that this rule can reach."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class Container:
    """The facts of one container that the verdict and the evidence need."""

    id: str
    name: str
    image: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def compose_project(self) -> str | None:
        return self.labels.get(COMPOSE_PROJECT)

    @property
    def compose_service(self) -> str | None:
        return self.labels.get(COMPOSE_SERVICE)

    @property
    def swarm_service(self) -> str | None:
        return self.labels.get(SWARM_SERVICE)

    def describe(self) -> str:
        """One line of evidence: name, short id, image, state, and what owns it."""
        text = f"{self.name} ({self.short_id}, image {self.image}, {self.state})"
        if self.compose_project or self.compose_service:
            text += (
                f", compose project {self.compose_project or '?'}"
                f" service {self.compose_service or '?'}"
            )
        if self.swarm_service:
            text += f", swarm service {self.swarm_service}"
        return text


@dataclass(frozen=True)
class Waiver:
    """A documented exception from a waivers file (evaluator/waivers.py).

    It names its containers by `container` (a name or glob) or by `label`
    (KEY or KEY=VALUE), and is valid through its `expires` day.
    """

    justification: str
    approver: str
    expires: date
    container: str | None = None
    label: str | None = None
    source: str = ""

    @property
    def selector(self) -> str:
        """Which containers it covers, in words: 'container web-*' or 'label a=b'."""
        if self.container is not None:
            return f"container {self.container}"
        return f"label {self.label}"


@dataclass(frozen=True)
class AppliedWaiver:
    """The waiver that matched a failing container, and whether it had expired.

    An expired waiver is kept so that every output can say it no longer applies.
    """

    waiver: Waiver
    expired: bool


@dataclass(frozen=True)
class ContainerVerdict:
    container: Container
    verdict: Verdict
    reason: str
    # Set only on failing containers; it never changes the verdict.
    waiver: AppliedWaiver | None = None

    @property
    def waived(self) -> bool:
        """A failing container under a waiver that had not expired at scan time."""
        return self.waiver is not None and not self.waiver.expired


@dataclass(frozen=True)
class EngineHost:
    """The host an engine runs on, as far as the engine (or this machine) tells."""

    endpoint: str
    name: str
    fqdn: str | None = None
    ip_addresses: tuple[str, ...] = ()
    mac_addresses: tuple[str, ...] = ()
    operating_system: str | None = None
    kernel_version: str | None = None
    architecture: str | None = None
    engine_version: str | None = None
    api_version: str | None = None


@dataclass(frozen=True)
class UnscannedEngine:
    """An engine of a many-engine run that could not be scanned, and why.

    `problem` is the whole error as the user saw it on stderr, hint included.
    """

    endpoint: str
    label: str | None
    problem: str


@dataclass(frozen=True)
class EngineScan:
    """One engine checked against one rule of one release."""

    benchmark: Benchmark
    release: Release
    rule: Rule
    engine: EngineHost
    started: datetime
    finished: datetime
    verdicts: tuple[ContainerVerdict, ...]
    vanished: tuple[str, ...] = ()
    # What narrowed the scan, one sentence each (evaluator/filters.py); empty
    # means every container of the engine was checked.
    filters: tuple[str, ...] = ()
    # Every waiver the scan was checked against, used or not.
    waivers: tuple[Waiver, ...] = ()

    @property
    def result(self) -> Verdict:
        """fail if any container fails, else error if any errored, else pass.

        Filters that left no container to check prove nothing about the host:
        that is error too, never pass, so that a mistyped --name cannot read as
        compliance.
        """
        if self.filters and not self.verdicts:
            return Verdict.ERROR
        found = {item.verdict for item in self.verdicts}
        for verdict in (Verdict.FAIL, Verdict.ERROR):
            if verdict in found:
                return verdict
        return Verdict.PASS

    @property
    def counts(self) -> Counter[Verdict]:
        return Counter(item.verdict for item in self.verdicts)

    def with_verdict(self, verdict: Verdict) -> tuple[ContainerVerdict, ...]:
        return tuple(item for item in self.verdicts if item.verdict is verdict)

    @property
    def waived(self) -> tuple[ContainerVerdict, ...]:
        """Failing containers under a waiver in force; they still fail the rule."""
        return tuple(item for item in self.verdicts if item.waived)

    @property
    def none_checked(self) -> str:
        """Why no container was checked: an empty engine, or filters that took all.

        A filtered scan must never read as a full one, least of all when the
        filters left nothing to check.
        """
        if self.filters:
            return (
                f"No container matched the filters ({'; '.join(self.filters)}); "
                "nothing was checked."
            )
        return "No containers were found on this engine; nothing can break the rule."

    @property
    def message(self) -> str:
        """The rule-result in one sentence, for messages and finding details."""
        checked = len(self.verdicts)
        if checked == 0:
            text = self.none_checked
        else:
            counts = self.counts
            text = (
                f"{checked} container(s) checked: {counts[Verdict.PASS]} read-only, "
                f"{counts[Verdict.FAIL]} writable, "
                f"{counts[Verdict.ERROR]} undetermined."
            )
        if self.vanished:
            text += (
                f" {len(self.vanished)} container(s) were removed during the scan"
                " and are not counted."
            )
        return text
