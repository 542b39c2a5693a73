"""STIG Viewer 2 checklists (CKL): write one from a scan, or fill in the user's.

The layout follows STIG Viewer's checklist schema 2.5 (U_Checklist_Schema_V2.xsd)
and the files STIG Viewer 2.17 saves: ASSET, then STIGS/iSTIG with STIG_INFO
and one VULN per rule, each VULN's STIG_DATA in STIG Viewer's order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection

from lxml import etree

from dockscap import __version__
from dockscap.errors import InputError, InvalidDocumentError
from dockscap.evaluator.checklist import (
    ASSET_TYPE,
    CLASS,
    CLASSIFICATION,
    ROLE,
    TECH_AREA,
    Asset,
    ChecklistRule,
    ChecklistStig,
    Review,
    asset,
    checklist_stig,
    locate,
    review,
    same_host,
    scan_review,
    stig_ref,
    stig_uuid,
    target_key,
)
from dockscap.evaluator.disa_benchmark import DisaBenchmark, DisaRule
from dockscap.evaluator.results import EngineScan
from dockscap.evaluator.waivers import updated_comments
from dockscap.generator.model import Benchmark, Release
from dockscap.safexml import parse_xml_bytes
from dockscap.schemas.catalog import CKL_SCHEMA_ENV
from dockscap.schemas.ckl import ckl_structure, vuln_attribute

log = logging.getLogger(__name__)


def render_ckl(scan: EngineScan, *, stig: DisaBenchmark | None = None) -> bytes:
    """A new checklist for the scanned host: every rule of the STIG, ours reviewed."""
    disa = checklist_stig(scan, stig)
    target = asset(scan.engine)
    uuid = stig_uuid(target.host_name, disa)

    root = etree.Element("CHECKLIST")
    root.append(_asset(target, target_key(disa)))
    istig = etree.SubElement(etree.SubElement(root, "STIGS"), "iSTIG")
    istig.append(_stig_info(disa, uuid))
    for rule in disa.rules:
        istig.append(_vuln(rule, disa, uuid, review(scan, rule)))

    # STIG Viewer names the program that saved a checklist in a leading comment.
    root.addprevious(etree.Comment(f"dockscap {__version__}"))
    etree.indent(root, space="\t")
    data: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    assert_sound_ckl(data, source="the new checklist")
    return data


def _asset(target: Asset, key: str) -> etree._Element:
    # MARKING is left out: STIG Viewer's default (CUI) would be a claim about the
    # host that dockscap cannot make.
    element = etree.Element("ASSET")
    for name, text in (
        ("ROLE", ROLE),
        ("ASSET_TYPE", ASSET_TYPE),
        ("HOST_NAME", target.host_name),
        ("HOST_IP", target.host_ip),
        ("HOST_MAC", target.host_mac),
        ("HOST_FQDN", target.host_fqdn),
        ("TARGET_COMMENT", target.comment),
        ("TECH_AREA", TECH_AREA),
        ("TARGET_KEY", key),
        ("WEB_OR_DATABASE", "false"),
        ("WEB_DB_SITE", ""),
        ("WEB_DB_INSTANCE", ""),
    ):
        _leaf(element, name, text)
    return element


def _stig_info(disa: DisaBenchmark, uuid: str) -> etree._Element:
    element = etree.Element("STIG_INFO")
    for name, text in (
        ("version", disa.version),
        ("classification", CLASSIFICATION),
        ("customname", None),
        ("stigid", disa.id),
        ("description", disa.description),
        ("filename", disa.filename),
        ("releaseinfo", disa.release_info),
        ("title", disa.title),
        ("uuid", uuid),
        ("notice", disa.notice_id),
        ("source", disa.source),
    ):
        si_data = etree.SubElement(element, "SI_DATA")
        _leaf(si_data, "SID_NAME", name)
        # STIG Viewer leaves SID_DATA out where it has nothing (customname).
        if text is not None:
            _leaf(si_data, "SID_DATA", text)
    return element


def _vuln(
    rule: DisaRule, disa: DisaBenchmark, uuid: str, outcome: Review
) -> etree._Element:
    element = etree.Element("VULN")
    for name, text in _stig_data(rule, disa, uuid):
        stig_data = etree.SubElement(element, "STIG_DATA")
        _leaf(stig_data, "VULN_ATTRIBUTE", name)
        _leaf(stig_data, "ATTRIBUTE_DATA", text)
    _leaf(element, "STATUS", outcome.ckl_status)
    _leaf(element, "FINDING_DETAILS", outcome.finding_details)
    _leaf(element, "COMMENTS", outcome.comments)
    _leaf(element, "SEVERITY_OVERRIDE", "")
    _leaf(element, "SEVERITY_JUSTIFICATION", "")
    return element


def _stig_data(rule: DisaRule, disa: DisaBenchmark, uuid: str) -> list[tuple[str, str]]:
    """Every VULN_ATTRIBUTE STIG Viewer 2.17 writes, in its order."""
    return [
        ("Vuln_Num", rule.group_id),
        ("Severity", rule.severity),
        ("Group_Title", rule.group_title),
        ("Rule_ID", rule.rule_id),
        ("Rule_Ver", rule.stig_id),
        ("Rule_Title", rule.title),
        ("Vuln_Discuss", rule.field("VulnDiscussion")),
        ("IA_Controls", rule.field("IAControls")),
        ("Check_Content", rule.check_content),
        ("Fix_Text", rule.fix_text),
        ("False_Positives", rule.field("FalsePositives")),
        ("False_Negatives", rule.field("FalseNegatives")),
        ("Documentable", rule.field("Documentable")),
        ("Mitigations", rule.field("Mitigations")),
        ("Potential_Impact", rule.field("PotentialImpacts")),
        ("Third_Party_Tools", rule.field("ThirdPartyTools")),
        ("Mitigation_Control", rule.field("MitigationControl")),
        ("Responsibility", rule.field("Responsibility")),
        ("Security_Override_Guidance", rule.field("SeverityOverrideGuidance")),
        ("Check_Content_Ref", rule.check_content_ref_name),
        ("Weight", rule.weight),
        ("Class", CLASS),
        ("STIGRef", stig_ref(disa)),
        ("TargetKey", rule.reference.identifier),
        ("STIG_UUID", uuid),
        *(("LEGACY_ID", legacy) for legacy in rule.legacy_ids),
        *(("CCI_REF", cci) for cci in rule.ccis),
    ]


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    # An empty text, not None, so that lxml writes <X></X> as STIG Viewer does.
    etree.SubElement(parent, tag).text = text


def detect_release(
    existing: bytes, benchmark: Benchmark, *, source: str = "the checklist"
) -> Release:
    """The STIG release of an existing CKL, from its rule ids; the scan must match."""
    root = _parse(existing, source)
    release, _ = locate(_stigs(root), benchmark, source)
    return release


def update_ckl(
    existing: bytes, scan: EngineScan, *, source: str = "the checklist"
) -> bytes:
    """The user's checklist with this rule's STATUS and FINDING_DETAILS replaced,
    and in its COMMENTS the waivers dockscap wrote there before.

    Everything else, the user's comments and severity overrides included, is
    kept as it was; a checklist of another STIG, release or host is refused.
    """
    root = _parse(existing, source)
    release, vulns = locate(_stigs(root), scan.benchmark, source)
    if release.name != scan.release.name:
        raise InputError(
            f"{source} is for STIG {release.name}, but the scan was made for "
            f"{scan.release.name}; scan for {release.name}"
        )
    same_host(root.findtext("ASSET/HOST_NAME") or "", scan.engine, source)
    # A user's file may already break a rule of the schema; only what this
    # update would add is refused.
    known = set(_problems(root, source))

    vuln = vulns.get(scan.rule.stig_id)
    if vuln is None:
        raise InputError(f"{source} has no rule {scan.rule.stig_id}")
    outcome = scan_review(scan)
    _replace(vuln, "STATUS", outcome.ckl_status)
    details = _replace(vuln, "FINDING_DETAILS", outcome.finding_details)
    comments = vuln.find("COMMENTS")
    if comments is None:  # required by the schema; a hand-edited file may lack it
        comments = etree.Element("COMMENTS")
        comments.tail = details.tail
        details.addnext(comments)
    comments.text = updated_comments(comments.text or "", outcome.comments)

    # A parsed <X></X> comes back as <X/>; keep STIG Viewer's form for empty ones.
    for element in root.iter():
        if element.text is None and len(element) == 0:
            element.text = ""
    # pretty_print adds line breaks only where the file has no text between
    # elements, so a checklist STIG Viewer saved comes back byte for byte.
    tree = root.getroottree()
    data: bytes = etree.tostring(
        tree,
        xml_declaration=True,
        encoding=tree.docinfo.encoding or "UTF-8",
        pretty_print=True,
    )
    assert_sound_ckl(data, source=f"{source} (updated)", known=known)
    return data


def _replace(vuln: etree._Element, tag: str, text: str) -> etree._Element:
    element = vuln.find(tag)
    if element is None:
        raise InputError(f"the checklist's {vuln.findtext('STIG_DATA')} lacks {tag}")
    element.text = text
    return element


def _stigs(root: etree._Element) -> list[ChecklistStig[etree._Element]]:
    stigs = []
    for istig in root.iterfind("STIGS/iSTIG"):
        stig_id = ""
        for si_data in istig.iterfind("STIG_INFO/SI_DATA"):
            if si_data.findtext("SID_NAME") == "stigid":
                stig_id = si_data.findtext("SID_DATA") or ""
        rules = [
            ChecklistRule(
                vuln_attribute(v, "Rule_Ver"), vuln_attribute(v, "Rule_ID"), v
            )
            for v in istig.iterfind("VULN")
        ]
        stigs.append(ChecklistStig(stig_id, rules))
    return stigs


def _parse(data: bytes, source: str) -> etree._Element:
    root: etree._Element = parse_xml_bytes(
        data, source=source, what="checklist"
    ).getroot()
    if root.tag != "CHECKLIST":
        raise InputError(
            f"{source} is not a STIG Viewer checklist (CKL): its root is {root.tag}"
        )
    return root


def assert_sound_ckl(data: bytes, *, source: str, known: Collection[str] = ()) -> None:
    """Check a CKL before it is written: raise InvalidDocumentError on a problem.

    dockscap does not ship DISA's checklist schema, so the structure and values
    STIG Viewer and STIG Manager depend on are always checked here, and the
    whole schema too when the user names it (DOCKSCAP_CKL_SCHEMA). Problems in
    `known` were in the user's file already and are let through.
    """
    try:
        root = _parse(data, source)
    except InputError as error:
        raise InvalidDocumentError(str(error)) from error

    problems = [p for p in _problems(root, source) if p not in known]
    if problems:
        shown = "; ".join(problems[:5])
        raise InvalidDocumentError(f"{source} is not a sound CKL: {shown}")


def _problems(root: etree._Element, source: str) -> list[str]:
    # Lines move when the finding details grow: compare path and message.
    problems = ckl_structure(root)
    if os.environ.get(CKL_SCHEMA_ENV):
        # Only now: xmlschema, which validates against DISA's schema, is slow
        # to import, and most runs name no CKL schema.
        from dockscap.schemas import validate

        problems += validate(root, source=source)
    return [f"{p.path}: {p.message}" for p in problems]
