"""A structural check of STIG Viewer 2 checklists (CKL), without DISA's schema.

dockscap does not ship DISA's checklist schema (U_Checklist_Schema_V2.xsd), so
without it this checks what STIG Viewer and STIG Manager depend on: the ASSET
children in the schema's order, at least one VULN, and in each VULN a STATUS,
FINDING_DETAILS and COMMENTS right after its STIG_DATA, with a STATUS from the
schema's vocabulary. It is no schema validation; with the schema named, the
whole schema is checked instead (schemas/validation.py).
"""

from __future__ import annotations

from lxml import etree

from dockscap.schemas.problems import Problem, element_path

CKL_STRUCTURAL_KIND = (
    "STIG Viewer checklist (CKL), structural check; name DISA's "
    "U_Checklist_Schema_V2.xsd with --ckl-schema for full validation"
)

# The schema's STATUS enumeration.
STATUSES = ("NotAFinding", "Open", "Not_Applicable", "Not_Reviewed")

# The ASSET children of the schema, in its sequence (several are optional).
ASSET_ORDER = (
    "ROLE",
    "ASSET_TYPE",
    "MARKING",
    "HOST_NAME",
    "HOST_IP",
    "HOST_MAC",
    "HOST_GUID",
    "HOST_FQDN",
    "TARGET_COMMENT",
    "TECH_AREA",
    "TARGET_KEY",
    "STIG_GUID",
    "WEB_OR_DATABASE",
    "WEB_DB_SITE",
    "WEB_DB_INSTANCE",
)

# What follows a VULN's STIG_DATA, in the schema's order.
_REVIEW = ("STATUS", "FINDING_DETAILS", "COMMENTS")


def ckl_structure(root: etree._Element) -> list[Problem]:
    """Every structural problem of the checklist whose root is CHECKLIST."""
    problems = _asset_order(root)

    vulns = root.findall("STIGS/iSTIG/VULN")
    if not vulns:
        where = root.find("STIGS")
        problems.append(_at(root if where is None else where, "no VULN"))
    for vuln in vulns:
        problems += _review(vuln)
    return problems


def vuln_attribute(vuln: etree._Element, name: str) -> str:
    """The ATTRIBUTE_DATA of the VULN's STIG_DATA named NAME ("Rule_ID"), or ""."""
    for stig_data in vuln.iterfind("STIG_DATA"):
        if stig_data.findtext("VULN_ATTRIBUTE") == name:
            return stig_data.findtext("ATTRIBUTE_DATA") or ""
    return ""


def _asset_order(root: etree._Element) -> list[Problem]:
    asset = root.find("ASSET")
    if asset is None:
        return []

    tags = [child.tag for child in asset if isinstance(child.tag, str)]
    if tags == [tag for tag in ASSET_ORDER if tag in tags]:
        return []
    return [_at(asset, f"ASSET children out of order: {', '.join(tags)}")]


def _review(vuln: etree._Element) -> list[Problem]:
    rule_id = vuln_attribute(vuln, "Rule_ID") or "a VULN"
    tags = [
        child.tag
        for child in vuln
        if isinstance(child.tag, str) and child.tag != "STIG_DATA"
    ]

    problems = []
    missing = [tag for tag in _REVIEW if tag not in tags]
    if missing:
        problems.append(_at(vuln, f"{rule_id}: {', '.join(missing)} missing"))
    elif tags[: len(_REVIEW)] != list(_REVIEW):
        problems.append(
            _at(
                vuln,
                f"{rule_id}: {', '.join(_REVIEW)} must follow STIG_DATA in this "
                f"order, not {', '.join(tags[: len(_REVIEW)])}",
            )
        )

    status = vuln.find("STATUS")
    if status is not None and status.text not in STATUSES:
        problems.append(
            _at(
                status,
                f"{rule_id}: STATUS {status.text or ''!r} is not one of "
                f"{', '.join(STATUSES)}",
            )
        )
    return problems


def _at(element: etree._Element, message: str) -> Problem:
    return Problem(element.sourceline, element_path(element), message)
