"""STIG Viewer 3 checklists (CKLB, JSON): write one from a scan, or fill one in.

The keys and their order follow the CKLB files STIG Viewer 3 and Evaluate-STIG
write (target_data, stigs[] with rules[]); Evaluate-STIG's own "evaluate-stig"
blocks are left out, and `version` is written per STIG because STIG Manager
builds the revision (V2R2) from it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dockscap.errors import InputError, InvalidDocumentError
from dockscap.evaluator.checklist import (
    ASSET_TYPE,
    CLASSIFICATION,
    ROLE,
    TECH_AREA,
    Asset,
    ChecklistRule,
    ChecklistStig,
    Review,
    asset,
    checklist_stig,
    checklist_uuid,
    locate,
    review,
    rule_uuid,
    same_host,
    scan_review,
    stig_uuid,
)
from dockscap.evaluator.disa_benchmark import DisaBenchmark, DisaRule
from dockscap.evaluator.results import EngineScan
from dockscap.evaluator.waivers import updated_comments
from dockscap.generator.model import Benchmark, Release
from dockscap.safexml import parse_json_bytes
from dockscap.schemas import assert_valid_cklb, validate_cklb

log = logging.getLogger(__name__)

CKLB_VERSION = "1.0"

Json = dict[str, Any]


def render_cklb(scan: EngineScan, *, stig: DisaBenchmark | None = None) -> bytes:
    """A new CKLB for the scanned host: every rule of the STIG, ours reviewed."""
    disa = checklist_stig(scan, stig)
    target = asset(scan.engine)
    uuid = stig_uuid(target.host_name, disa)
    time = scan.finished.isoformat()

    rules = [_rule(rule, uuid, time, review(scan, rule)) for rule in disa.rules]
    document = {
        "title": f"{target.host_name} {disa.display_name} {disa.revision}",
        "id": checklist_uuid(target.host_name, uuid),
        "stigs": [_stig(disa, uuid, rules)],
        "active": False,
        "mode": 1,
        "has_path": True,
        "target_data": _target_data(target),
        "cklb_version": CKLB_VERSION,
    }
    data = _dump(document)
    assert_valid_cklb(document, source="the new checklist")
    return data


def _stig(disa: DisaBenchmark, uuid: str, rules: list[Json]) -> Json:
    return {
        "stig_name": disa.title,
        "display_name": disa.display_name,
        "stig_id": disa.id,
        "version": disa.version,
        "release_info": disa.release_info,
        "uuid": uuid,
        "reference_identifier": disa.rules[0].reference.identifier
        if disa.rules
        else "",
        "size": len(rules),
        "rules": rules,
    }


def _rule(rule: DisaRule, stig_uuid_: str, time: str, outcome: Review) -> Json:
    """Every key STIG Viewer 3 writes for a rule, in its order."""
    return {
        "uuid": rule_uuid(stig_uuid_, rule),
        "stig_uuid": stig_uuid_,
        "target_key": None,
        "stig_ref": None,
        "group_id": rule.group_id,
        "rule_id": rule.rule_id.removesuffix("_rule"),
        "rule_id_src": rule.rule_id,
        "weight": rule.weight,
        "classification": CLASSIFICATION,
        "severity": rule.severity,
        "rule_version": rule.stig_id,
        "group_title": rule.group_title,
        "rule_title": rule.title,
        "fix_text": rule.fix_text,
        "false_positives": rule.field("FalsePositives"),
        "false_negatives": rule.field("FalseNegatives"),
        "discussion": rule.field("VulnDiscussion"),
        "check_content": rule.check_content,
        "documentable": rule.field("Documentable"),
        "mitigations": rule.field("Mitigations"),
        "potential_impacts": rule.field("PotentialImpacts"),
        "third_party_tools": rule.field("ThirdPartyTools"),
        "mitigation_control": rule.field("MitigationControl"),
        "responsibility": rule.field("Responsibility"),
        "security_override_guidance": rule.field("SeverityOverrideGuidance"),
        "ia_controls": rule.field("IAControls"),
        "check_content_ref": {
            "href": rule.check_content_ref_href,
            "name": rule.check_content_ref_name,
        },
        "legacy_ids": list(rule.legacy_ids),
        "ccis": list(rule.ccis),
        "group_tree": [
            {
                "id": rule.group_id,
                "title": rule.group_title,
                "description": rule.group_description,
            }
        ],
        "createdAt": time,
        "updatedAt": time,
        "STIGUuid": stig_uuid_,
        "status": outcome.cklb_status,
        "overrides": {},
        "comments": outcome.comments,
        "finding_details": outcome.finding_details,
    }


def _target_data(target: Asset) -> Json:
    return {
        "target_type": ASSET_TYPE,
        "host_name": target.host_name,
        "ip_address": target.host_ip,
        "mac_address": target.host_mac,
        "fqdn": target.host_fqdn,
        "comments": target.comment,
        "role": ROLE,
        "is_web_database": False,
        "technology_area": TECH_AREA,
        "web_db_site": "",
        "web_db_instance": "",
    }


def detect_release(
    existing: bytes, benchmark: Benchmark, *, source: str = "the checklist"
) -> Release:
    """The STIG release of an existing CKLB, from its rule ids; the scan must match."""
    document = _load(existing, source)
    release, _ = locate(_stigs(document, source), benchmark, source)
    return release


def update_cklb(
    existing: bytes, scan: EngineScan, *, source: str = "the checklist"
) -> bytes:
    """The user's CKLB with this rule's status and finding_details replaced, and
    in its comments the waivers dockscap wrote there before.

    Every other key and rule, the user's comments included, is kept as it was;
    a CKLB of another STIG, release or host is refused.
    """
    document = _load(existing, source)
    release, rules = locate(_stigs(document, source), scan.benchmark, source)
    if release.name != scan.release.name:
        raise InputError(
            f"{source} is for STIG {release.name}, but the scan was made for "
            f"{scan.release.name}; scan for {release.name}"
        )
    target = document.get("target_data")
    host = target.get("host_name") if isinstance(target, dict) else None
    same_host(host if isinstance(host, str) else "", scan.engine, source)
    # Only problems this update would add are refused, not the file's own.
    known = {str(problem) for problem in validate_cklb(document, source=source)}

    rule = rules.get(scan.rule.stig_id)
    if rule is None:
        raise InputError(f"{source} has no rule {scan.rule.stig_id}")
    outcome = scan_review(scan)
    rule["status"] = outcome.cklb_status
    rule["finding_details"] = outcome.finding_details
    # A string by the format; a hand-edited file may hold null or nothing.
    comments = rule.get("comments")
    comments = comments if isinstance(comments, str) else ""
    rule["comments"] = updated_comments(comments, outcome.comments)

    new = [
        str(problem)
        for problem in validate_cklb(document, source=source)
        if str(problem) not in known
    ]
    if new:
        raise InvalidDocumentError(
            f"{source} (updated) is not a sound CKLB: {'; '.join(new[:5])}"
        )
    return _dump(document)


def _stigs(document: Json, source: str) -> list[ChecklistStig[Json]]:
    stigs = document.get("stigs")
    if not isinstance(stigs, list):
        raise InputError(f"{source} is not a CKLB: it has no stigs list")
    found = []
    for stig in stigs:
        if not isinstance(stig, dict):
            continue
        rules = [
            ChecklistRule(str(rule.get("rule_version", "")), _rule_id(rule), rule)
            for rule in stig.get("rules") or []
            if isinstance(rule, dict)
        ]
        found.append(ChecklistStig(str(stig.get("stig_id", "")), rules))
    return found


def _rule_id(rule: Json) -> str:
    """The full rule id: rule_id_src, or rule_id with DISA's _rule put back."""
    source = rule.get("rule_id_src")
    if isinstance(source, str) and source:
        return source
    rule_id = str(rule.get("rule_id", ""))
    return rule_id if rule_id.endswith("_rule") else f"{rule_id}_rule"


def _load(data: bytes, source: str) -> Json:
    return parse_json_bytes(data, source=source, what="CKLB checklist")


def _dump(document: Json) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
