"""What a STIG Viewer checklist says about a scan, whichever format carries it.

evaluator/ckl.py (STIG Viewer 2, XML) and evaluator/cklb.py (STIG Viewer 3,
JSON) lay the same facts out differently: the asset, the STIG's metadata, every
rule of the DISA benchmark, and for the rule dockscap checked a status and the
evidence. This module decides those facts once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from dockscap.errors import InputError
from dockscap.evaluator.disa_benchmark import (
    DisaBenchmark,
    DisaRule,
    match_release,
    read_disa_benchmark,
)
from dockscap.evaluator.evidence import describe, how_checked, xml_safe
from dockscap.evaluator.results import (
    ContainerVerdict,
    EngineHost,
    EngineScan,
    Verdict,
)
from dockscap.evaluator.waivers import waivers_summary
from dockscap.generator.model import Benchmark, Release, RuleIds
from dockscap.generator.names import content_names
from dockscap.generator.xccdf11 import render_disa_benchmark
from dockscap.timestamps import xs_datetime

# A Docker engine's host serves containers to others: STIG Viewer's "Member
# Server" (the other choices are None, Workstation and Domain Controller).
ROLE = "Member Server"
ASSET_TYPE = "Computing"
# STIG Viewer's Technology Area for this STIG: its requirements come from the
# Application Security Requirements Guide (every Group is an SRG-APP-* id) and
# the engine is reviewed as an application on its host, not as the host's OS
# ("UNIX OS" belongs to the operating system's own STIG).
TECH_AREA = "Application Review"
# DISA's classification of the STIG text itself, as STIG Viewer writes it.
CLASSIFICATION = "UNCLASSIFIED"
CLASS = "Unclass"

# Checklist tools accept benchmark ids with or without the XCCDF 1.2 prefix.
BENCHMARK_PREFIX = "xccdf_mil.disa.stig_benchmark_"

# Per verdict: the CKL STATUS and the CKLB status (DESIGN.md, Results).
CKL_STATUS = {
    Verdict.PASS: "NotAFinding",
    Verdict.FAIL: "Open",
    Verdict.ERROR: "Not_Reviewed",
}
CKLB_STATUS = {
    Verdict.PASS: "not_a_finding",
    Verdict.FAIL: "open",
    Verdict.ERROR: "not_reviewed",
}
CKL_NOT_REVIEWED = "Not_Reviewed"
CKLB_NOT_REVIEWED = "not_reviewed"

# Containers listed per section of the finding details; STIG Manager keeps
# 32767 characters of a detail, so a huge engine is summarised past this.
LIST_LIMIT = 60

# Fixed namespace of dockscap's checklist uuids, so the same scan of the same
# host gives the same ids (uuid5, RFC 4122 section 4.3).
_UUIDS = uuid.UUID("2a8e649c-6635-496c-b230-d21c426dc68b")

T = TypeVar("T")


def checklist_stig(scan: EngineScan, stig: DisaBenchmark | None) -> DisaBenchmark:
    """The DISA benchmark a checklist lists: the user's --stig file, or ours.

    Without a file, dockscap's own DISA-form benchmark is read back exactly as a
    user's file would be, so both paths give the same kind of checklist.
    """
    if stig is None:
        data = render_disa_benchmark(scan.benchmark, scan.release)
        return read_disa_benchmark(data, content_names(scan.release).disa_xccdf11)

    release = match_release(stig, scan.benchmark)
    if release.name != scan.release.name:
        raise InputError(
            f"{stig.filename} is the {release.name} STIG, but the scan was made "
            f"for {scan.release.name}; scan for {release.name}"
        )
    return stig


@dataclass(frozen=True)
class Review:
    """What the checklist says about one rule: its status and finding details."""

    ckl_status: str
    cklb_status: str
    finding_details: str
    # The approved exceptions (waivers) that named failing containers; the
    # status stays Open: a waiver records an accepted risk, not compliance.
    comments: str = ""


NOT_REVIEWED = Review(CKL_NOT_REVIEWED, CKLB_NOT_REVIEWED, "")


def review(scan: EngineScan, rule: DisaRule) -> Review:
    """The scan's review of the rule, or Not_Reviewed for a rule dockscap skips."""
    return scan_review(scan) if rule.stig_id == scan.rule.stig_id else NOT_REVIEWED


def scan_review(scan: EngineScan) -> Review:
    """The review of the rule the scan checked."""
    return Review(
        CKL_STATUS[scan.result],
        CKLB_STATUS[scan.result],
        finding_details(scan),
        xml_safe(waivers_summary(scan), "comments"),
    )


def finding_details(scan: EngineScan) -> str:
    """The evidence, for a reader who cannot rerun the scan."""
    parts = [
        _verdict_line(scan),
        scan.message,
        _section(
            "Writable root filesystem (HostConfig.ReadonlyRootfs is false):",
            scan.with_verdict(Verdict.FAIL),
        ),
        _section(
            "Undetermined (the engine did not report HostConfig.ReadonlyRootfs as"
            " true or false):",
            scan.with_verdict(Verdict.ERROR),
        ),
        _section(
            "Read-only root filesystem (HostConfig.ReadonlyRootfs is true):",
            scan.with_verdict(Verdict.PASS),
        ),
        _vanished(scan.vanished),
        _filters(scan.filters),
        _how(scan),
    ]
    return xml_safe("\n\n".join(part for part in parts if part), "finding details")


def _verdict_line(scan: EngineScan) -> str:
    counts = scan.counts
    if scan.result is Verdict.FAIL:
        return (
            f"Open: {counts[Verdict.FAIL]} container(s) have a writable root "
            "filesystem; the rule requires every container's to be read-only."
        )
    if not scan.verdicts:
        status = "Not reviewed" if scan.result is Verdict.ERROR else "Not a finding"
        return f"{status}: {scan.none_checked}"
    if scan.result is Verdict.ERROR:
        return (
            f"Not reviewed: for {counts[Verdict.ERROR]} container(s) the engine did "
            "not say whether the root filesystem is read-only, so dockscap cannot "
            "decide; review them by hand."
        )
    return "Not a finding: every container's root filesystem is read-only."


def _section(heading: str, items: Sequence[ContainerVerdict]) -> str:
    if not items:
        return ""
    lines = [heading]
    lines += [f"- {describe(item)}" for item in items[:LIST_LIMIT]]
    if len(items) > LIST_LIMIT:
        lines.append(
            f"- and {len(items) - LIST_LIMIT} more, listed in the ARF and XCCDF results"
        )
    return "\n".join(lines)


def _vanished(vanished: Sequence[str]) -> str:
    if not vanished:
        return ""
    names = ", ".join(vanished[:LIST_LIMIT])
    if len(vanished) > LIST_LIMIT:
        names += f" and {len(vanished) - LIST_LIMIT} more"
    return f"Removed between listing and inspection, so not counted: {names}."


def _filters(filters: Sequence[str]) -> str:
    if not filters:
        return ""
    return "Only part of the engine was checked: " + "; ".join(filters)


def _how(scan: EngineScan) -> str:
    """How the result was reached, in the words of the XCCDF and ARF message."""
    version = scan.engine.engine_version
    engine = f" Engine version {version}." if version else ""
    return (
        f"{how_checked(scan)}{engine} Scan from {xs_datetime(scan.started)} to "
        f"{xs_datetime(scan.finished)}."
    )


@dataclass(frozen=True)
class Asset:
    """The checklist's target: the engine's host, as far as the engine tells."""

    host_name: str
    host_ip: str
    host_mac: str
    host_fqdn: str
    comment: str


def asset(engine: EngineHost) -> Asset:
    facts = [f"Docker Engine at {engine.endpoint}"]
    if engine.engine_version:
        facts.append(f"version {engine.engine_version}")
    if engine.operating_system:
        facts.append(f"on {engine.operating_system}")
    return Asset(
        host_name=xml_safe(engine.name, "host name"),
        host_ip=xml_safe(", ".join(engine.ip_addresses), "host addresses"),
        host_mac=xml_safe(", ".join(engine.mac_addresses), "host MAC addresses"),
        host_fqdn=xml_safe(engine.fqdn or "", "host FQDN"),
        comment=xml_safe(", ".join(facts), "target comment"),
    )


def stig_ref(stig: DisaBenchmark) -> str:
    """STIG Viewer's STIGRef: 'Title :: Version 2, Release: 2 Benchmark Date: ...'."""
    return f"{stig.title} :: Version {stig.version}, {stig.release_info}"


def target_key(stig: DisaBenchmark) -> str:
    """The DPMS target id STIG Viewer records as the checklist's target key."""
    return stig.rules[0].reference.identifier if stig.rules else ""


def stig_uuid(host_name: str, stig: DisaBenchmark) -> str:
    return str(uuid.uuid5(_UUIDS, f"{host_name}\n{stig.id}\n{stig.revision}"))


def rule_uuid(stig_uuid_: str, rule: DisaRule) -> str:
    return str(uuid.uuid5(_UUIDS, f"{stig_uuid_}\n{rule.rule_id}"))


def checklist_uuid(host_name: str, stig_uuid_: str) -> str:
    return str(uuid.uuid5(_UUIDS, f"{host_name}\nchecklist\n{stig_uuid_}"))


def benchmark_id(stig_id: str) -> str:
    """A checklist's stigid without the XCCDF 1.2 prefix some tools add."""
    return stig_id.removeprefix(BENCHMARK_PREFIX)


@dataclass(frozen=True)
class ChecklistRule(Generic[T]):
    """One rule as an existing checklist holds it, with its place in the file."""

    stig_id: str
    rule_id: str
    handle: T


@dataclass(frozen=True)
class ChecklistStig(Generic[T]):
    """One STIG of an existing checklist: its benchmark id and its rules."""

    benchmark_id: str
    rules: Sequence[ChecklistRule[T]]


def locate(
    stigs: Iterable[ChecklistStig[T]], benchmark: Benchmark, source: str
) -> tuple[Release, dict[str, T]]:
    """The release of an existing checklist and where each of our rules sits in it.

    The checklist must hold exactly one STIG with our benchmark id, and in it the
    rule ids of our rules decide the release, as they do for checklist tools.
    """
    stigs = list(stigs)
    ours = [s for s in stigs if benchmark_id(s.benchmark_id) == benchmark.id]
    if not ours:
        held = ", ".join(benchmark_id(s.benchmark_id) for s in stigs) or "no STIG"
        raise InputError(
            f"{source} is a checklist of {held}, not of the {benchmark.title} "
            f"({benchmark.id})"
        )
    if len(ours) > 1:
        raise InputError(f"{source} holds the {benchmark.id} STIG {len(ours)} times")

    releases: dict[str, str] = {}
    handles: dict[str, T] = {}
    for rule in benchmark.rules:
        found = [item for item in ours[0].rules if item.stig_id == rule.stig_id]
        if not found:
            continue
        if len(found) > 1:
            raise InputError(f"{source} holds {rule.stig_id} {len(found)} times")
        releases[rule.stig_id] = _release_of(rule.releases, found[0].rule_id, source)
        handles[rule.stig_id] = found[0].handle

    if not releases:
        wanted = ", ".join(rule.stig_id for rule in benchmark.rules)
        raise InputError(f"{source}: its {benchmark.id} checklist has no rule {wanted}")
    if len(set(releases.values())) > 1:
        raise InputError(f"{source}: its rules come from different STIG releases")
    return benchmark.release(next(iter(releases.values()))), handles


def _release_of(releases: Mapping[str, RuleIds], rule_id: str, source: str) -> str:
    for name, ids in releases.items():
        if ids.rule == rule_id:
            return name
    known = ", ".join(f"{name} {ids.rule}" for name, ids in releases.items())
    raise InputError(
        f"{source}: rule id {rule_id} is from a STIG release dockscap does not "
        f"know ({known})"
    )


def same_host(checklist_host: str, engine: EngineHost, source: str) -> None:
    """Refuse to write one host's evidence into another host's checklist.

    A checklist whose host name is empty is filled in; one naming a host is
    accepted when it is the engine's host name or FQDN, short or long.
    """
    if not checklist_host.strip():
        return
    wanted = {engine.name.lower(), engine.name.lower().split(".")[0]}
    if engine.fqdn:
        wanted |= {engine.fqdn.lower(), engine.fqdn.lower().split(".")[0]}
    given = checklist_host.strip().lower()
    if given in wanted or given.split(".")[0] in wanted:
        return
    raise InputError(
        f"{source} is the checklist of host {checklist_host!r}, but the engine "
        f"scanned runs on {engine.name!r}"
    )
