"""`--json`: the facts of a run as data, in the shape docs/json-output.md documents.

The shape is versioned by `schema_version`; evaluator/schemas/results-v1.schema.json
is its JSON Schema, and every document is checked against it before it is
handed back, so a pipeline never reads a document of another shape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsonschema

from dockscap import __version__
from dockscap.errors import InvalidDocumentError
from dockscap.evaluator.results import (
    ContainerVerdict,
    EngineScan,
    UnscannedEngine,
    Verdict,
    Waiver,
)
from dockscap.evaluator.waivers import is_expired, scan_day
from dockscap.schemas.json_results import (
    SCHEMA_FILE,
    SCHEMA_VERSION,
    TOOL_NAME,
    results_schema,
    results_validator,
)
from dockscap.timestamps import now, xs_datetime

# What a verdict says about the root filesystem; an error says nothing.
READ_ONLY = {Verdict.PASS: True, Verdict.FAIL: False, Verdict.ERROR: None}


def render_json(
    scans: Sequence[EngineScan], unscanned: Sequence[UnscannedEngine] = ()
) -> bytes:
    """One document for every engine of a run, UTF-8, checked against its schema.

    UNSCANNED, the engines that could not be scanned, are listed in
    `not_scanned`, so that a pipeline knows what the document does not cover.
    """
    document = results_document(scans, unscanned)
    validate_document(document)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def results_document(
    scans: Sequence[EngineScan], unscanned: Sequence[UnscannedEngine] = ()
) -> dict[str, Any]:
    """The document as Python data (render_json's input, before it is checked)."""
    first = _common(scans)
    ids = first.rule.ids(first.release.name)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated": xs_datetime(now()),
        "benchmark": {
            "id": first.benchmark.xccdf_id("benchmark", first.benchmark.id),
            "title": first.benchmark.title,
            "release": first.release.name,
            "release_info": first.release.release_info,
        },
        "rule": {
            "stig_id": first.rule.stig_id,
            "xccdf_id": first.benchmark.xccdf_id("rule", ids.rule),
            "rule_id": ids.rule,
            "group_id": ids.group,
            "title": first.rule.title,
            "severity": first.rule.severity,
            "cci": list(first.rule.cci),
        },
        "hosts": [_host(scan) for scan in scans],
        "not_scanned": [
            {"endpoint": item.endpoint, "label": item.label, "error": item.problem}
            for item in unscanned
        ],
    }


def validate_document(document: dict[str, Any]) -> None:
    """Raise InvalidDocumentError naming where the document breaks its schema."""
    error = jsonschema.exceptions.best_match(results_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        raise InvalidDocumentError(
            f"the JSON results break {SCHEMA_FILE} at {where}: {error.message}"
        )


def schema() -> dict[str, Any]:
    """The JSON Schema of the current schema_version, as shipped in the package."""
    return results_schema()


def _common(scans: Sequence[EngineScan]) -> EngineScan:
    # One document holds one rule of one release; the top-level facts say which.
    if not scans:
        raise ValueError("a results document needs at least one scan")
    first = scans[0]
    for scan in scans[1:]:
        if (scan.release.name, scan.rule.stig_id) != (
            first.release.name,
            first.rule.stig_id,
        ):
            raise ValueError("every scan of one document must share release and rule")
    return first


def _host(scan: EngineScan) -> dict[str, Any]:
    counts = scan.counts
    return {
        "engine": _engine(scan),
        "started": xs_datetime(scan.started),
        "finished": xs_datetime(scan.finished),
        "result": str(scan.result),
        "message": scan.message,
        "counts": {
            "checked": len(scan.verdicts),
            "pass": counts[Verdict.PASS],
            "fail": counts[Verdict.FAIL],
            "error": counts[Verdict.ERROR],
            "waived": len(scan.waived),
            "vanished": len(scan.vanished),
        },
        "filtered": bool(scan.filters),
        "filters": list(scan.filters),
        "containers": [_container(item) for item in scan.verdicts],
        "vanished": list(scan.vanished),
        "waivers": [_waiver_entry(scan, waiver) for waiver in scan.waivers],
    }


def _engine(scan: EngineScan) -> dict[str, Any]:
    host = scan.engine
    return {
        "endpoint": host.endpoint,
        "name": host.name,
        "fqdn": host.fqdn,
        "ip_addresses": list(host.ip_addresses),
        "mac_addresses": list(host.mac_addresses),
        "operating_system": host.operating_system,
        "kernel_version": host.kernel_version,
        "architecture": host.architecture,
        "engine_version": host.engine_version,
        "api_version": host.api_version,
    }


def _container(item: ContainerVerdict) -> dict[str, Any]:
    container = item.container
    entry: dict[str, Any] = {
        "id": container.id,
        "short_id": container.short_id,
        "name": container.name,
        "image": container.image,
        "state": container.state,
        "labels": dict(container.labels),
        "compose_project": container.compose_project,
        "compose_service": container.compose_service,
        "swarm_service": container.swarm_service,
        "verdict": str(item.verdict),
        "read_only": READ_ONLY[item.verdict],
        "reason": item.reason,
        "waived": item.waived,
        "waiver": None,
    }
    if item.waiver is not None:
        entry["waiver"] = _waiver_fields(item.waiver.waiver)
        entry["waiver"]["expired"] = item.waiver.expired
    return entry


def _waiver_entry(scan: EngineScan, waiver: Waiver) -> dict[str, Any]:
    entry = _waiver_fields(waiver)
    entry["expired"] = is_expired(waiver, scan_day(scan))
    # The containers this waiver was recorded on (the first waiver in force wins
    # when several match), so each container appears under one waiver at most.
    entry["applied_to"] = [
        item.container.id
        for item in scan.verdicts
        if item.waiver is not None and item.waiver.waiver == waiver
    ]
    return entry


def _waiver_fields(waiver: Waiver) -> dict[str, Any]:
    return {
        "container": waiver.container,
        "label": waiver.label,
        "justification": waiver.justification,
        "approver": waiver.approver,
        "expires": waiver.expires.isoformat(),
        "source": waiver.source,
    }
