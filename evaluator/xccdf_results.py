"""XCCDF 1.2 results: a Benchmark holding one TestResult, as OpenSCAP and SCC write.

STIG Viewer ("Import XCCDF results") and STIG Manager read this form. What
they depend on (DESIGN.md, "Results and who reads them"):

- the Benchmark id starts with xccdf_mil.disa.stig_benchmark_, and rule-result
  idrefs are xccdf_mil.disa.stig_rule_<rule id of the chosen release>;
- `test-system` is a CPE 2.2 URI naming dockscap and its version, which STIG
  Manager splits into product and version;
- start-time, end-time and each rule-result's time carry a UTC offset;
- `target` is the engine host's name; addresses go in target-address and,
  with the rest of what is known, in target-facts; STIG Manager reads its own
  tag: facts (fqdn, mac) for the asset;
- the review detail is the rule-result's `message` (STIG Manager reads its
  text; a message needs its severity attribute for that).

The rule-result's `check` names the Engine API check system, the one that ran;
no OVAL result is ever claimed. Its check-import elements carry the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from dockscap import __version__
from dockscap.evaluator.evidence import (
    describe,
    evidence_text,
    how_checked,
    xml_safe,
)
from dockscap.evaluator.results import EngineScan, Verdict
from dockscap.evaluator.waivers import override_remark, waivers_in_force
from dockscap.generator.build import ENGINE_API_CHECK_SYSTEM, xccdf_benchmark_tree
from dockscap.namespaces import XCCDF_12, qname
from dockscap.timestamps import xs_datetime

# CPE 2.2 URI of the tool that made the results (NISTIR 7275r4, 6.6.2 test-system).
TEST_SYSTEM = f"cpe:/a:dockscap:dockscap:{__version__}"

# Fact names of NISTIR 7275r4 table 16 (asset identifiers) and of the scanner.
FACT = "urn:xccdf:fact:asset:identifier:"
SCANNER_NAME = "urn:xccdf:fact:scanner:name"
SCANNER_VERSION = "urn:xccdf:fact:scanner:version"
# STIG Manager's own asset properties (ReviewParser.js, processTargetFacts).
STIG_MANAGER = "tag:stig-manager@users.noreply.github.com,2020:asset:"
# Facts of the Docker engine itself, named under the domain of dockscap's
# check system (reserved .invalid domain, RFC 2606).
DOCKER_FACT = "https://dockscap.invalid/fact/docker-"

# XCCDF scoring models (NISTIR 7275r4, 7.3): default out of 100, flat out of
# the rule weights.
SCORE_DEFAULT = "urn:xccdf:scoring:default"
SCORE_FLAT = "urn:xccdf:scoring:flat"

# Names of the check-import elements; the Engine API check system defines them.
IMPORT_CHECKED = "containers_checked"
IMPORT_FAILING = "failing_containers"
IMPORT_UNDECIDED = "undetermined_containers"
IMPORT_VANISHED = "vanished_containers"
IMPORT_METHOD = "method"

_NOT_NCNAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class BenchmarkReference:
    """Where a standalone TestResult's Benchmark is (ARF: the data stream component)."""

    href: str
    id: str


def render_xccdf_results(scan: EngineScan) -> bytes:
    """The XCCDF results file: UTF-8 bytes, ready to validate and write."""
    data: bytes = etree.tostring(
        xccdf_results(scan), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data


def xccdf_results(scan: EngineScan) -> etree._Element:
    """The generated Benchmark (with its Engine API check) and one TestResult."""
    benchmark = xccdf_benchmark_tree(
        scan.benchmark, scan.release, engine_api_check=True
    )
    benchmark.append(testresult(scan, benchmark))
    return benchmark


def testresult_id(scan: EngineScan, number: int | None = None) -> str:
    """xccdf_<namespace>_testresult_dockscap_<host>, with _<number> when one
    document holds several (ARF of many engines, whose hosts may share a name)."""
    host = _NOT_NCNAME.sub("_", scan.engine.name) or "host"
    name = f"dockscap_{host}" if number is None else f"dockscap_{host}_{number}"
    identifier: str = scan.benchmark.xccdf_id("testresult", name)
    return identifier


def testresult(
    scan: EngineScan,
    benchmark: etree._Element,
    reference: BenchmarkReference | None = None,
    number: int | None = None,
) -> etree._Element:
    """The TestResult of SCAN. BENCHMARK is the generated Benchmark tree, whose
    rule supplies the idents and fix; REFERENCE is given when the TestResult
    stands apart from it (ARF); NUMBER tells it from others in one document."""
    result = etree.Element(
        qname("xccdf", "TestResult"),
        nsmap={None: XCCDF_12},
        id=testresult_id(scan, number),
        attrib={
            "start-time": xs_datetime(scan.started),
            "end-time": xs_datetime(scan.finished),
            "test-system": TEST_SYSTEM,
            "version": scan.release.version,
        },
    )
    if reference is not None:
        _sub(result, "benchmark", href=reference.href, id=reference.id)
    _sub(result, "title", text=f"dockscap evaluate {scan.rule.stig_id}")
    _target(result, scan)
    result.append(rule_result(scan, benchmark))
    _scores(result, scan)
    return result


def rule_result(scan: EngineScan, benchmark: etree._Element) -> etree._Element:
    rule = scan.rule
    rule_id = scan.benchmark.xccdf_id("rule", rule.ids(scan.release.name).rule)
    source = _rule_element(benchmark, rule_id)

    element = etree.Element(
        qname("xccdf", "rule-result"),
        idref=rule_id,
        role="full",
        severity=rule.severity,
        time=xs_datetime(scan.finished),
        version=rule.stig_id,
        weight=f"{rule.weight:.1f}",
    )
    _sub(element, "result", text=scan.result.value)
    _overrides(element, scan)
    for ident in source.iterfind(qname("xccdf", "ident")):
        _sub(element, "ident", text=ident.text, system=ident.get("system", ""))
    _sub(
        element,
        "message",
        text=xml_safe(evidence_text(scan), "the rule-result message"),
        severity="info",
    )
    for fix in source.iterfind(qname("xccdf", "fix")):
        _sub(element, "fix", id=fix.get("id", ""))
    element.append(_check(scan, source))
    return element


def _overrides(element: etree._Element, scan: EngineScan) -> None:
    """One override per waiver in force, with the justification as its remark.

    Old and new result are the same: NISTIR 7275r4 lets an authority remark on a
    result without changing it, and a waiver never turns a finding into a pass.
    """
    for waiver, items in waivers_in_force(scan):
        override = _sub(
            element,
            "override",
            time=xs_datetime(scan.finished),
            authority=xml_safe(waiver.approver, "the override authority"),
        )
        _sub(override, "old-result", text=scan.result.value)
        _sub(override, "new-result", text=scan.result.value)
        remark = override_remark(waiver, items)
        _sub(override, "remark", text=xml_safe(remark, "the override remark"))


def _check(scan: EngineScan, rule: etree._Element) -> etree._Element:
    """The Engine API check, as the Rule states it, with what it imported."""
    check = etree.Element(qname("xccdf", "check"), system=ENGINE_API_CHECK_SYSTEM)
    imports = [
        (IMPORT_METHOD, how_checked(scan)),
        (IMPORT_CHECKED, str(len(scan.verdicts))),
        (IMPORT_FAILING, _lines(scan, Verdict.FAIL)),
        (IMPORT_UNDECIDED, _lines(scan, Verdict.ERROR)),
        (IMPORT_VANISHED, "\n".join(scan.vanished)),
    ]
    for name, text in imports:
        if text:
            _sub(
                check,
                "check-import",
                text=xml_safe(text, f"the check-import {name}"),
                attrib={"import-name": name},
            )

    content = _engine_api_content(rule)
    if content is not None:
        _sub(check, "check-content", text=content)
    return check


def _lines(scan: EngineScan, verdict: Verdict) -> str:
    return "\n".join(describe(item) for item in scan.with_verdict(verdict))


def _engine_api_content(rule: etree._Element) -> str | None:
    for check in rule.iterfind(qname("xccdf", "check")):
        if check.get("system") == ENGINE_API_CHECK_SYSTEM:
            content: str | None = check.findtext(qname("xccdf", "check-content"))
            return content
    return None


def _target(result: etree._Element, scan: EngineScan) -> None:
    """target, target-address and target-facts: what is known of the engine's host."""
    host = scan.engine
    _sub(result, "target", text=xml_safe(host.name, "the target"))
    for address in host.ip_addresses:
        _sub(result, "target-address", text=address)

    facts = _sub(result, "target-facts")
    for name, value in _facts(scan):
        _sub(facts, "fact", text=xml_safe(value, name), name=name, type="string")


def _facts(scan: EngineScan) -> list[tuple[str, str]]:
    host = scan.engine
    facts = [
        (SCANNER_NAME, "dockscap"),
        (SCANNER_VERSION, __version__),
        (FACT + "host_name", host.name),
    ]
    if host.fqdn:
        facts.append((FACT + "fqdn", host.fqdn))
    for address in host.ip_addresses:
        kind = "ipv6" if ":" in address else "ipv4"
        facts.append((FACT + kind, address))
    facts.extend((FACT + "mac", mac) for mac in host.mac_addresses)
    optional = [
        (FACT + "os_name", host.operating_system),
        (FACT + "processor_architecture", host.architecture),
        (DOCKER_FACT + "endpoint", host.endpoint),
        (DOCKER_FACT + "engine-version", host.engine_version),
        (DOCKER_FACT + "api-version", host.api_version),
        (DOCKER_FACT + "kernel-version", host.kernel_version),
        (STIG_MANAGER + "fqdn", host.fqdn),
        (STIG_MANAGER + "mac", " ".join(host.mac_addresses)),
    ]
    facts.extend((name, value) for name, value in optional if value)
    return facts


def _scores(result: etree._Element, scan: EngineScan) -> None:
    """Scores of the one rule: counted as passed only when it passed."""
    passed = scan.result is Verdict.PASS
    weight = scan.rule.weight
    _sub(
        result,
        "score",
        text="100.0" if passed else "0.0",
        system=SCORE_DEFAULT,
        maximum="100",
    )
    _sub(
        result,
        "score",
        text=f"{weight if passed else 0.0:.1f}",
        system=SCORE_FLAT,
        maximum=f"{weight:.1f}",
    )


def _rule_element(benchmark: etree._Element, rule_id: str) -> etree._Element:
    for rule in benchmark.iter(qname("xccdf", "Rule")):
        if rule.get("id") == rule_id:
            return rule
    raise ValueError(f"the generated Benchmark has no Rule {rule_id}")


def _sub(
    parent: etree._Element,
    local: str,
    text: str | None = None,
    attrib: dict[str, str] | None = None,
    **attributes: str,
) -> etree._Element:
    element = etree.SubElement(
        parent, qname("xccdf", local), attrib=attrib, **attributes
    )
    if text is not None:
        element.text = text
    return element
