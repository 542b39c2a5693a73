"""CKLB checklists (STIG Viewer 3): its layout, and what STIG Manager reads back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checklist_support import (
    DISA_RULE_COUNTS,
    IDS,
    STIG_ID,
    STIG_MANAGER_RESULT,
    add_containers,
    disa,
    hand_scan,
    real_scan,
    verdict,
)
from lxml import etree
from private_engine import PrivateEngine
from stig_manager import stig_manager_reads

from dockscap.evaluator.cklb import render_cklb
from dockscap.evaluator.results import EngineHost, Verdict


def _our_rule(data: bytes, rule_id: str) -> dict[str, Any]:
    (stig,) = json.loads(data)["stigs"]
    (rule,) = [r for r in stig["rules"] if r["rule_id_src"] == rule_id]
    return rule  # type: ignore[no-any-return]


def _read(data: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "checklist.cklb"
    path.write_bytes(data)
    return stig_manager_reads("cklb", path)


@pytest.mark.engine
@pytest.mark.node
def test_a_mixed_engine_gives_an_open_cklb_that_stig_manager_reads(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    ids = add_containers(
        engine, {"ro-web": "read-only", "shop-web-1": "compose-writable"}
    )
    scan = real_scan(engine, "V2R2")

    data = render_cklb(scan)
    parsed = _read(data, tmp_path)

    assert parsed["target"]["name"] == scan.engine.name
    (checklist,) = parsed["checklists"]
    assert checklist["benchmarkId"] == "Docker_Enterprise_2-x_Linux-UNIX_STIG"
    assert checklist["revisionStr"] == "V2R2"
    (review,) = checklist["reviews"]
    rule = _our_rule(data, "SV-235808r960963_rule")
    assert review["ruleId"] == "SV-235808r960963_rule"
    assert (rule["status"], review["result"]) == ("open", "fail")
    assert review["detail"] == rule["finding_details"]
    assert f"shop-web-1 ({ids['shop-web-1']}" in rule["finding_details"]
    assert "compose project shop service web" in rule["finding_details"]
    assert "2 container(s) checked" in rule["finding_details"]


@pytest.mark.node
@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Verdict.PASS, "not_a_finding"),
        (Verdict.FAIL, "open"),
        (Verdict.ERROR, "not_reviewed"),
    ],
)
def test_each_verdict_reads_back(outcome: Verdict, status: str, tmp_path: Path) -> None:
    scan = hand_scan("V2R2", (verdict("c1", outcome, "the reason given"),))

    data = render_cklb(scan)
    (review,) = _read(data, tmp_path)["checklists"][0]["reviews"]

    rule = _our_rule(data, "SV-235808r960963_rule")
    assert rule["status"] == status
    assert review["result"] == STIG_MANAGER_RESULT[outcome]
    assert review["detail"] == rule["finding_details"]
    assert "c1 (" in rule["finding_details"]


@pytest.mark.parametrize("release", sorted(IDS))
def test_each_release_carries_its_own_ids(release: str) -> None:
    group, rule_id, legacy = IDS[release]

    rule = _our_rule(render_cklb(hand_scan(release, ())), rule_id)

    assert (rule["group_id"], rule["rule_id"], rule["rule_version"]) == (
        group,
        rule_id.removesuffix("_rule"),
        STIG_ID,
    )
    assert rule["legacy_ids"] == list(legacy)
    assert rule["ccis"] == ["CCI-000381"]
    assert rule["group_tree"][0]["title"] == "SRG-APP-000141"


def test_the_keys_are_those_stig_viewer_3_writes(reference: Path) -> None:
    example = json.loads(
        (reference / "checklist" / "example-evaluate-stig.cklb").read_text("utf-8")
    )
    ours = json.loads(render_cklb(hand_scan("V2R2", (verdict("a", Verdict.FAIL),))))

    # Evaluate-STIG adds its own "evaluate-stig" blocks; STIG Viewer does not.
    def keys(document: dict[str, Any]) -> list[str]:
        return [key for key in document if key != "evaluate-stig"]

    assert keys(ours) == keys(example)
    assert list(ours["target_data"]) == list(example["target_data"])
    # `version` is added: STIG Manager builds the revision (V2R2) from it.
    assert [k for k in ours["stigs"][0] if k != "version"] == keys(example["stigs"][0])
    assert list(ours["stigs"][0]["rules"][0]) == keys(example["stigs"][0]["rules"][0])


def test_the_target_data() -> None:
    host = EngineHost(
        "unix:///var/run/docker.sock",
        "node-7",
        fqdn="node-7.example.mil",
        ip_addresses=("10.1.2.3",),
        mac_addresses=("02:42:ac:11:00:02", "02:42:ac:11:00:03"),
    )
    data = render_cklb(hand_scan("V2R2", (), host=host))

    target = json.loads(data)["target_data"]
    assert target == {
        "target_type": "Computing",
        "host_name": "node-7",
        "ip_address": "10.1.2.3",
        "mac_address": "02:42:ac:11:00:02, 02:42:ac:11:00:03",
        "fqdn": "node-7.example.mil",
        "comments": "Docker Engine at unix:///var/run/docker.sock",
        "role": "Member Server",
        "is_web_database": False,
        "technology_area": "Application Review",
        "web_db_site": "",
        "web_db_instance": "",
    }


def test_the_same_scan_gives_the_same_ids() -> None:
    scan = hand_scan("V2R2", (verdict("a", Verdict.PASS),))

    assert render_cklb(scan) == render_cklb(scan)
    document = json.loads(render_cklb(scan))
    stig = document["stigs"][0]
    assert stig["rules"][0]["stig_uuid"] == stig["uuid"]
    assert document["id"] != stig["uuid"]


@pytest.mark.node
@pytest.mark.parametrize("release", sorted(IDS))
def test_with_stig_every_rule_of_disas_benchmark_is_listed(
    release: str, reference: Path, tmp_path: Path
) -> None:
    stig = disa(reference, release)
    scan = hand_scan(release, (verdict("a", Verdict.PASS),))

    data = render_cklb(scan, stig=stig)
    (checklist,) = _read(data, tmp_path)["checklists"]

    assert [r["ruleId"] for r in checklist["reviews"]] == etree.parse(
        reference / "disa" / stig.filename
    ).xpath("//*[local-name()='Rule']/@id")
    assert len(checklist["reviews"]) == DISA_RULE_COUNTS[release]
    results = {r["ruleId"]: r["result"] for r in checklist["reviews"]}
    assert results.pop(IDS[release][1]) == "pass"
    assert set(results.values()) == {"notchecked"}
    assert json.loads(data)["stigs"][0]["size"] == DISA_RULE_COUNTS[release]
    assert checklist["revisionStr"] == release
