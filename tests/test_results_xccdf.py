"""XCCDF 1.2 results: valid for OpenSCAP and dockscap, read right by STIG Manager."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from evaluate_support import (
    ALL_READ_ONLY,
    MIXED,
    RULE_IDS,
    hand_scan,
    make_containers,
    real_scan,
)
from lxml import etree
from private_engine import PrivateEngine
from stig_manager import stig_manager_reads

from dockscap.evaluator.results import EngineHost
from dockscap.evaluator.xccdf_results import render_xccdf_results
from dockscap.generator.build import ENGINE_API_CHECK_SYSTEM
from dockscap.namespaces import XCCDF_12
from dockscap.schemas import assert_valid

NS = {"x": XCCDF_12}
WRITABLE = {spec.name for spec in MIXED if not spec.read_only}


def write(tmp_path: Path, data: bytes, name: str = "results.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def oscap_validates(oscap: str, path: Path) -> None:
    run = subprocess.run(
        [oscap, "xccdf", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def only_review(parsed: dict[str, object]) -> dict[str, object]:
    (checklist,) = parsed["checklists"]  # type: ignore[misc]
    (review,) = checklist["reviews"]
    return review  # type: ignore[no-any-return]


@pytest.mark.engine
@pytest.mark.oscap
@pytest.mark.node
@pytest.mark.parametrize("release", ["V1R1", "V2R2"])
def test_stig_manager_imports_one_failing_review_of_the_release(
    release: str, engine: PrivateEngine, oscap: str, tmp_path: Path
) -> None:
    make_containers(engine, MIXED)
    data = render_xccdf_results(real_scan(engine, release))
    path = write(tmp_path, data)

    oscap_validates(oscap, path)
    assert_valid(data, source=str(path))
    parsed = stig_manager_reads("xccdf", path)

    review = only_review(parsed)
    assert review["ruleId"] == RULE_IDS[release]
    assert review["result"] == "fail"
    for name in WRITABLE:
        assert f"- {name} (" in str(review["detail"])
    assert review["resultEngine"]["product"] == "dockscap"  # type: ignore[index]
    with engine.client() as client:
        assert parsed["target"]["name"] == client.info()["Name"]  # type: ignore[index]


@pytest.mark.engine
@pytest.mark.node
def test_stig_manager_imports_a_pass(engine: PrivateEngine, tmp_path: Path) -> None:
    make_containers(engine, ALL_READ_ONLY)
    path = write(tmp_path, render_xccdf_results(real_scan(engine, "V2R2")))

    review = only_review(stig_manager_reads("xccdf", path))

    assert (review["ruleId"], review["result"]) == (RULE_IDS["V2R2"], "pass")


@pytest.mark.oscap
@pytest.mark.node
def test_an_error_is_imported_as_not_checked_with_the_reason(
    oscap: str, tmp_path: Path
) -> None:
    scan = hand_scan("V2R2", {"odd": {"HostConfig": {"ReadonlyRootfs": None}}})
    path = write(tmp_path, render_xccdf_results(scan))

    oscap_validates(oscap, path)
    review = only_review(stig_manager_reads("xccdf", path))

    assert review["result"] == "notchecked"
    assert "HostConfig.ReadonlyRootfs is null" in str(review["detail"])


@pytest.mark.engine
def test_the_rule_result_names_the_engine_api_check_and_its_evidence(
    engine: PrivateEngine,
) -> None:
    ids = make_containers(engine, MIXED)
    root = etree.fromstring(render_xccdf_results(real_scan(engine, "V2R2")))

    (rule_result,) = root.iterfind("x:TestResult/x:rule-result", NS)
    (check,) = rule_result.iterfind("x:check", NS)
    assert check.get("system") == ENGINE_API_CHECK_SYSTEM
    assert check.find("x:check-content-ref", NS) is None
    imports = {
        item.get("import-name"): item.text
        for item in check.iterfind("x:check-import", NS)
    }
    assert imports["containers_checked"] == str(len(MIXED))
    failing = imports["failing_containers"].splitlines()  # type: ignore[union-attr]
    assert sorted(line.split(" ")[0] for line in failing) == sorted(WRITABLE)
    for line in failing:
        name = line.split(" ")[0]
        assert f"({ids[name][:12]}, image dockscap-test/busybox:latest, " in line
    assert "oval" not in etree.tostring(root.find("x:TestResult", NS)).decode()
    assert rule_result.findtext("x:result", namespaces=NS) == "fail"
    assert [fix.get("id") for fix in rule_result.iterfind("x:fix", NS)] == [
        "F-38990r627550_fix"
    ]
    assert [ident.text for ident in rule_result.iterfind("x:ident", NS)] == [
        "SV-104789",
        "V-95651",
        "CCI-000381",
    ]


def test_test_system_and_times_are_as_stig_manager_reads_them() -> None:
    root = etree.fromstring(render_xccdf_results(hand_scan("V2R2", {})))

    (result,) = root.iterfind("x:TestResult", NS)
    assert result.get("test-system") == "cpe:/a:dockscap:dockscap:0.1.0"
    assert result.get("id", "").startswith("xccdf_mil.disa.stig_testresult_")
    times = [result.get("start-time"), result.get("end-time")]
    times += [item.get("time") for item in result.iterfind("x:rule-result", NS)]
    for text in times:
        assert text is not None
        assert datetime.fromisoformat(text).utcoffset() is not None


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> ZoneInfo:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield ZoneInfo("America/New_York")  # type: ignore[misc]
    monkeypatch.undo()
    time.tzset()


@pytest.mark.engine
def test_times_carry_the_local_offset_in_force_at_that_instant(
    engine: PrivateEngine, new_york: ZoneInfo
) -> None:
    root = etree.fromstring(render_xccdf_results(real_scan(engine, "V2R2")))

    (result,) = root.iterfind("x:TestResult", NS)
    start = datetime.fromisoformat(str(result.get("start-time")))
    assert start.utcoffset() == new_york.utcoffset(start.replace(tzinfo=None))


@pytest.mark.oscap
def test_hostile_host_facts_stay_well_formed_and_read_back(
    oscap: str, tmp_path: Path
) -> None:
    name = 'evil<host>&"quote\x1b[31m'
    host = EngineHost(
        endpoint="tcp://[fd00::2]:2376",
        name=name,
        operating_system="Linux <b>&amp;</b>",
        ip_addresses=("fd00:0000:0000:0000:0000:0000:0000:0002",),
    )
    data = render_xccdf_results(hand_scan("V2R2", {}, host=host))
    path = write(tmp_path, data)

    oscap_validates(oscap, path)
    assert_valid(data, source=str(path))
    root = etree.fromstring(data)
    assert root.findtext("x:TestResult/x:target", namespaces=NS) == name.replace(
        "\x1b", "\ufffd"
    )
    facts = {
        fact.get("name"): fact.text
        for fact in root.iterfind("x:TestResult/x:target-facts/x:fact", NS)
    }
    assert facts["urn:xccdf:fact:asset:identifier:os_name"] == "Linux <b>&amp;</b>"
