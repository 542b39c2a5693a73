"""The rule model that both pipelines share: what content/ holds, typed.

The evaluator and every writer read titles, ids and severities from here, so a
fact typed once in content/ is the same everywhere it appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dockscap.errors import InputError


@dataclass(frozen=True)
class DpmsTarget:
    title: str
    subject: str
    identifier: str


@dataclass(frozen=True)
class Release:
    """One DISA release of the benchmark, such as V2R2."""

    name: str
    version: str
    release: str
    benchmark_date: date
    status_date: date
    reference_href: str
    cci_system: str
    legacy_system: str | None
    dpms_target: DpmsTarget
    # The benchmark's description as this release words it (DISA's spelling
    # of "DoD" changed between releases).
    description: str

    @property
    def release_info(self) -> str:
        """DISA's release-info, e.g. 'Release: 2 Benchmark Date: 24 Jul 2024'."""
        return (
            f"Release: {self.release} Benchmark Date: "
            f"{self.benchmark_date.day:02d} {self.benchmark_date:%b %Y}"
        )


@dataclass(frozen=True)
class Profile:
    id: str
    title: str


@dataclass(frozen=True)
class Value:
    id: str
    title: str
    description: str
    type: str
    default: str


@dataclass(frozen=True)
class RuleIds:
    """A rule's DISA identifiers in one release."""

    group: str
    rule: str
    fix: str
    check: str
    legacy: tuple[str, ...]


@dataclass(frozen=True)
class CheckDefinition:
    """What the automated checks compare: one HostConfig key of every container."""

    name: str
    host_config_key: str
    expected: bool
    data_root_value: str


@dataclass(frozen=True)
class Rule:
    stig_id: str
    srg: str
    title: str
    severity: str
    weight: float
    documentable: bool
    cci: tuple[str, ...]
    nist: tuple[str, ...]
    discussion: str
    check_text: str
    fix_text: str
    releases: dict[str, RuleIds]
    check: CheckDefinition

    def ids(self, release: str) -> RuleIds:
        return self.releases[release]


@dataclass(frozen=True)
class Benchmark:
    id: str
    title: str
    description: str
    publisher: str
    source: str
    namespace: str
    releases: dict[str, Release]
    profiles: tuple[Profile, ...]
    values: tuple[Value, ...]
    rules: tuple[Rule, ...]

    @property
    def newest_release(self) -> Release:
        return max(self.releases.values(), key=lambda r: r.benchmark_date)

    def release(self, name: str | None) -> Release:
        """The release a user asked for, or the newest when they did not say."""
        if name is None:
            return self.newest_release
        name = name.upper()  # DISA writes V2R2; v2r2 means the same
        if name not in self.releases:
            known = ", ".join(sorted(self.releases))
            raise InputError(f"unknown STIG release {name!r}; choose one of {known}")
        return self.releases[name]

    def rule(self, stig_id: str) -> Rule:
        for rule in self.rules:
            if rule.stig_id == stig_id:
                return rule
        raise InputError(f"the benchmark has no rule {stig_id}")

    def value(self, value_id: str) -> Value:
        for value in self.values:
            if value.id == value_id:
                return value
        raise InputError(f"the benchmark has no value {value_id}")

    def xccdf_id(self, kind: str, name: str) -> str:
        """An XCCDF 1.2 id, xccdf_<reverse-DNS>_<type>_<name> (NISTIR 7275r4 6.2.3)."""
        return f"xccdf_{self.namespace}_{kind}_{name}"
