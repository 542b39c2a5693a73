"""CKL checklists: DISA's schema, STIG Viewer's layout, STIG Manager's parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checklist_support import (
    DISA_FILES,
    DISA_RULE_COUNTS,
    IDS,
    STIG_ID,
    STIG_MANAGER_RESULT,
    add_containers,
    assert_valid_ckl,
    ckl_attributes,
    ckl_vulns,
    disa,
    hand_scan,
    real_scan,
    verdict,
)
from click.testing import CliRunner
from lxml import etree
from private_engine import PrivateEngine
from stig_manager import stig_manager_reads

from dockscap.cli import main
from dockscap.errors import InputError
from dockscap.evaluator.ckl import render_ckl
from dockscap.evaluator.disa_benchmark import load_disa_benchmark
from dockscap.evaluator.results import EngineHost, Verdict


def _only_review(parsed: dict[str, object]) -> dict[str, object]:
    (checklist,) = parsed["checklists"]  # type: ignore[misc]
    (review,) = checklist["reviews"]
    return review  # type: ignore[no-any-return]


def _finding_details(data: bytes) -> str:
    (vuln,) = ckl_vulns(data).values()
    return vuln.findtext("FINDING_DETAILS") or ""


@pytest.mark.engine
@pytest.mark.node
def test_a_mixed_engine_gives_an_open_ckl_that_stig_manager_reads(
    engine: PrivateEngine, reference: Path, tmp_path: Path
) -> None:
    ids = add_containers(
        engine,
        {
            "ro-web": "read-only",
            "rw-cache": "writable",
            "shop-web-1": "compose-writable",
        },
    )
    scan = real_scan(engine, "V2R2")

    data = render_ckl(scan)
    assert_valid_ckl(reference, data)
    path = tmp_path / "mixed.ckl"
    path.write_bytes(data)
    parsed = stig_manager_reads("ckl", path)

    assert parsed["target"]["name"] == scan.engine.name
    assert parsed["checklists"][0]["benchmarkId"] == (
        "Docker_Enterprise_2-x_Linux-UNIX_STIG"
    )
    assert parsed["checklists"][0]["revisionStr"] == "V2R2"
    review = _only_review(parsed)
    assert review["ruleId"] == "SV-235808r960963_rule"
    assert review["result"] == "fail"
    # STIG Manager trims the text; what it keeps is what was written.
    details = _finding_details(data)
    assert review["detail"] == details.strip()
    assert "3 container(s) checked" in details
    writable = details.split("Writable root filesystem")[1].split("\n\n")[0]
    assert f"rw-cache ({ids['rw-cache']}, image dockscap-test/busybox:latest" in (
        writable
    )
    assert f"shop-web-1 ({ids['shop-web-1']}" in writable
    assert "compose project shop service web" in writable
    assert "ro-web" not in writable


@pytest.mark.engine
@pytest.mark.node
def test_a_read_only_engine_gives_not_a_finding(
    engine: PrivateEngine, reference: Path, tmp_path: Path
) -> None:
    ids = add_containers(engine, {"ro-1": "read-only", "ro-2": "read-only"})
    scan = real_scan(engine, "V2R2")

    data = render_ckl(scan)
    assert_valid_ckl(reference, data)
    (tmp_path / "pass.ckl").write_bytes(data)
    review = _only_review(stig_manager_reads("ckl", tmp_path / "pass.ckl"))

    assert ckl_vulns(data)["SV-235808r960963_rule"].findtext("STATUS") == (
        "NotAFinding"
    )
    assert review["result"] == "pass"
    assert review["detail"] == _finding_details(data).strip()
    assert f"ro-2 ({ids['ro-2']}" in review["detail"]


@pytest.mark.engine
def test_an_engine_without_containers_passes_and_says_so(
    engine: PrivateEngine, reference: Path
) -> None:
    data = render_ckl(real_scan(engine, "V2R2"))

    assert_valid_ckl(reference, data)
    vuln = ckl_vulns(data)["SV-235808r960963_rule"]
    assert vuln.findtext("STATUS") == "NotAFinding"
    assert "No containers were found" in (vuln.findtext("FINDING_DETAILS") or "")


@pytest.mark.node
def test_an_undetermined_container_gives_not_reviewed_with_the_reason(
    reference: Path, tmp_path: Path
) -> None:
    scan = hand_scan(
        "V2R2",
        (
            verdict("fine", Verdict.PASS),
            verdict("odd", Verdict.ERROR, "HostConfig.ReadonlyRootfs is null"),
        ),
    )

    data = render_ckl(scan)
    assert_valid_ckl(reference, data)
    (tmp_path / "error.ckl").write_bytes(data)
    review = _only_review(stig_manager_reads("ckl", tmp_path / "error.ckl"))

    vuln = ckl_vulns(data)["SV-235808r960963_rule"]
    assert vuln.findtext("STATUS") == "Not_Reviewed"
    assert review["result"] == STIG_MANAGER_RESULT[Verdict.ERROR]
    assert review["detail"] == _finding_details(data).strip()
    assert "odd (" in review["detail"]
    assert "HostConfig.ReadonlyRootfs is null" in review["detail"]


@pytest.mark.parametrize("release", sorted(IDS))
def test_each_release_carries_its_own_ids(release: str, reference: Path) -> None:
    group, rule_id, legacy = IDS[release]

    data = render_ckl(hand_scan(release, (verdict("a", Verdict.FAIL),)))

    assert_valid_ckl(reference, data)
    attributes = ckl_attributes(ckl_vulns(data)[rule_id])
    assert ("Vuln_Num", group) in attributes
    assert ("Rule_ID", rule_id) in attributes
    assert ("Rule_Ver", STIG_ID) in attributes
    assert [v for k, v in attributes if k == "LEGACY_ID"] == list(legacy)
    assert [v for k, v in attributes if k == "CCI_REF"] == ["CCI-000381"]


def test_the_layout_is_stig_viewers(reference: Path) -> None:
    example = etree.parse(reference / "checklist" / "example-stigviewer-2.17.ckl")
    data = render_ckl(hand_scan("V2R2", (verdict("a", Verdict.PASS),)))
    ours = etree.fromstring(data)

    # MARKING is optional and left out: dockscap cannot know the host's marking.
    assert [e.tag for e in ours.find("ASSET")] == [
        e.tag for e in example.find("ASSET") if e.tag != "MARKING"
    ]
    assert [e.findtext("SID_NAME") for e in ours.iterfind(".//SI_DATA")] == [
        e.findtext("SID_NAME") for e in example.iterfind(".//SI_DATA")
    ]
    (vuln,) = ours.iterfind(".//VULN")
    assert _attribute_names(vuln) == _attribute_names(example.find(".//VULN"))
    assert [e.tag for e in vuln if e.tag != "STIG_DATA"] == [
        "STATUS",
        "FINDING_DETAILS",
        "COMMENTS",
        "SEVERITY_OVERRIDE",
        "SEVERITY_JUSTIFICATION",
    ]


def _attribute_names(vuln: etree._Element) -> list[str]:
    """The STIG_DATA names in order, a repeated name (LEGACY_ID, CCI_REF) once."""
    names: list[str] = []
    for name, _ in ckl_attributes(vuln):
        if not names or names[-1] != name:
            names.append(name)
    return names


def test_the_asset_and_stig_info(reference: Path) -> None:
    host = EngineHost(
        "tcp://10.1.2.3:2376",
        "node-7",
        fqdn="node-7.example.mil",
        ip_addresses=("10.1.2.3", "fd00:0:0:0:0:0:0:7"),
        mac_addresses=("02:42:ac:11:00:02",),
        engine_version="26.1.5",
    )
    data = render_ckl(hand_scan("V2R1", (verdict("a", Verdict.PASS),), host=host))
    root = etree.fromstring(data)

    asset = {e.tag: e.text for e in root.find("ASSET")}
    assert asset["HOST_NAME"] == "node-7"
    assert asset["HOST_FQDN"] == "node-7.example.mil"
    assert asset["HOST_IP"] == "10.1.2.3, fd00:0:0:0:0:0:0:7"
    assert asset["HOST_MAC"] == "02:42:ac:11:00:02"
    assert (asset["ROLE"], asset["ASSET_TYPE"], asset["TECH_AREA"]) == (
        "Member Server",
        "Computing",
        "Application Review",
    )
    assert asset["TARGET_KEY"] == "5281"
    info = {
        e.findtext("SID_NAME"): e.findtext("SID_DATA") for e in root.iter("SI_DATA")
    }
    assert info["stigid"] == "Docker_Enterprise_2-x_Linux-UNIX_STIG"
    assert (info["version"], info["releaseinfo"]) == (
        "2",
        "Release: 1 Benchmark Date: 23 Apr 2021",
    )
    assert info["filename"] == "dockscap-docker-V2R1_Manual-xccdf.xml"
    assert info["customname"] is None


@pytest.mark.parametrize("release", sorted(IDS))
def test_our_rule_reads_the_same_from_content_and_from_disas_file(
    release: str, reference: Path
) -> None:
    scan = hand_scan(release, (verdict("a", Verdict.FAIL),))
    rule_id = IDS[release][1]

    ours = ckl_vulns(render_ckl(scan))[rule_id]
    theirs = ckl_vulns(render_ckl(scan, stig=disa(reference, release)))[rule_id]

    assert ckl_attributes(ours) == ckl_attributes(theirs)


@pytest.mark.node
@pytest.mark.parametrize("release", sorted(IDS))
def test_with_stig_every_rule_of_disas_benchmark_is_listed(
    release: str, reference: Path, tmp_path: Path
) -> None:
    stig = disa(reference, release)
    scan = hand_scan(release, (verdict("a", Verdict.FAIL),))

    data = render_ckl(scan, stig=stig)
    assert_valid_ckl(reference, data)
    path = tmp_path / "full.ckl"
    path.write_bytes(data)
    (checklist,) = stig_manager_reads("ckl", path)["checklists"]

    disa_ids = etree.parse(reference / "disa" / stig.filename).xpath(
        "//*[local-name()='Rule']/@id"
    )
    assert [r["ruleId"] for r in checklist["reviews"]] == disa_ids
    assert len(disa_ids) == DISA_RULE_COUNTS[release]
    results = {r["ruleId"]: r["result"] for r in checklist["reviews"]}
    assert results.pop(IDS[release][1]) == "fail"
    assert set(results.values()) == {"notchecked"}
    info = {
        e.findtext("SID_NAME"): e.findtext("SID_DATA")
        for e in etree.fromstring(data).iter("SI_DATA")
    }
    assert info["filename"] == stig.filename
    assert checklist["revisionStr"] == release


def test_a_stig_of_another_release_than_the_scan_is_refused(reference: Path) -> None:
    scan = hand_scan("V2R2", (verdict("a", Verdict.PASS),))

    with pytest.raises(InputError, match="is the V2R1 STIG, but the scan was made"):
        render_ckl(scan, stig=disa(reference, "V2R1"))


def test_a_benchmark_without_our_rule_is_refused(
    reference: Path, tmp_path: Path
) -> None:
    tree = etree.parse(
        reference
        / "disa"
        / "U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml"
    )
    for group in tree.xpath("//*[local-name()='Group'][@id='V-235808']"):
        group.getparent().remove(group)
    path = tmp_path / "U_Other_STIG_V1R1_Manual-xccdf.xml"
    tree.write(str(path))

    with pytest.raises(InputError, match=f"has no rule {STIG_ID}"):
        render_ckl(
            hand_scan("V2R2", (verdict("a", Verdict.PASS),)),
            stig=load_disa_benchmark(path),
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<CHECKLIST/>", "not a DISA STIG benchmark"),
        (b"<Benchmark", "not well-formed XML"),
        (
            b'<!DOCTYPE B [<!ENTITY x SYSTEM "file:///etc/passwd">]><Benchmark/>',
            "DOCTYPE declaration",
        ),
    ],
)
def test_a_file_that_is_no_benchmark_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "stig.xml"
    path.write_bytes(content)

    with pytest.raises(InputError, match=message):
        load_disa_benchmark(path)


ODD = "we<b> & \"co\" 'x' ]]> \x00\x07\x1b \ud800 \ufffe end"


@pytest.mark.node
def test_odd_strings_are_escaped_once_and_stay_well_formed(
    reference: Path, tmp_path: Path
) -> None:
    host = EngineHost(f"unix:///run/{ODD}.sock", f"host{ODD}", fqdn="a&b.example")
    scan = hand_scan(
        "V2R2",
        (
            verdict(
                f"name{ODD}",
                Verdict.FAIL,
                labels={
                    "com.docker.compose.project": f"proj{ODD}",
                    "com.docker.compose.service": "<svc>",
                },
            ),
        ),
        host=host,
        vanished=(f"gone{ODD}",),
    )

    data = render_ckl(scan)
    assert_valid_ckl(reference, data)
    details = _finding_details(data)
    root = etree.fromstring(data)

    # The text reads back as written, the characters XML 1.0 forbids replaced.
    readable = "we<b> & \"co\" 'x' ]]> \ufffd\ufffd\ufffd \ufffd \ufffd end"
    assert f"name{readable}" in details
    assert f"compose project proj{readable} service <svc>" in details
    assert f"gone{readable}" in details
    assert root.findtext("ASSET/HOST_NAME") == f"host{readable}"
    assert root.findtext("ASSET/HOST_FQDN") == "a&b.example"
    assert b"&amp;amp;" not in data
    path = tmp_path / "odd.ckl"
    path.write_bytes(data)
    assert stig_manager_reads("ckl", path)["target"]["name"] == f"host{readable}"


@pytest.mark.engine
def test_evaluate_writes_both_checklists_from_disas_benchmark(
    engine: PrivateEngine, reference: Path, tmp_path: Path
) -> None:
    add_containers(engine, {"rw": "writable", "ro": "read-only"})
    stig = reference / "disa" / DISA_FILES["V2R1"]
    out_ckl, out_cklb = tmp_path / "host.ckl", tmp_path / "host.cklb"

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", engine.url, "--stig", str(stig)]
        + ["--ckl", str(out_ckl), "--cklb", str(out_cklb)],
    )

    assert run.exit_code == 2, run.output
    assert f"Wrote CKL checklist: {out_ckl}" in run.output
    data = out_ckl.read_bytes()
    assert_valid_ckl(reference, data)
    vulns = ckl_vulns(data)
    assert len(vulns) == DISA_RULE_COUNTS["V2R1"]
    assert vulns[IDS["V2R1"][1]].findtext("STATUS") == "Open"
    (stig_data,) = json.loads(out_cklb.read_bytes())["stigs"]
    assert [r["status"] for r in stig_data["rules"]].count("open") == 1


def test_evaluate_refuses_a_stig_of_another_release_before_scanning(
    reference: Path, tmp_path: Path
) -> None:
    """No engine answers at this URL: the refusal comes before any connection."""
    stig = reference / "disa" / DISA_FILES["V1R1"]

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", f"unix://{tmp_path}/none.sock", "--release", "V2R2"]
        + ["--stig", str(stig), "--ckl", str(tmp_path / "x.ckl")],
    )

    assert run.exit_code == 1
    assert "Error: the STIG releases disagree: --release is V2R2; --stig" in (
        run.output
    )
    assert not (tmp_path / "x.ckl").exists()
