"""Filling in a user's checklist changes this rule's result and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from checklist_support import (
    DISA_FILES,
    IDS,
    STIG_ID,
    add_containers,
    assert_valid_ckl,
    ckl_vulns,
    disa,
    hand_scan,
    real_scan,
    verdict,
)
from click.testing import CliRunner
from engine_samples import MIXED, WAIVERS_YAML, create
from lxml import etree
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.errors import InputError, InvalidDocumentError
from dockscap.evaluator import ckl, cklb
from dockscap.evaluator.checklist_files import plan_checklists
from dockscap.evaluator.results import EngineHost, EngineScan, Verdict

# The first rule of each DISA file, which an assessor has reviewed by hand.
OTHER_RULE = {
    "V1R1": "SV-104693r1_rule",
    "V2R1": "SV-235775r627452_rule",
    "V2R2": "SV-235775r960735_rule",
}


def _user_ckl(reference: Path, release: str, host: str) -> bytes:
    """A checklist as an assessor keeps it: made from DISA's file, then reviewed."""
    scan = hand_scan(release, (), host=EngineHost("unix:///x.sock", host))
    root = etree.fromstring(ckl.render_ckl(scan, stig=disa(reference, release)))
    vulns = ckl_vulns(etree.tostring(root))
    reviewed = ((IDS[release][1], "Not_Reviewed"), (OTHER_RULE[release], "Open"))
    for rule_id, status in reviewed:
        vuln = _find(root, rule_id)
        vuln.find("STATUS").text = status
        vuln.find("FINDING_DETAILS").text = f"checked by hand: {rule_id}"
        vuln.find("COMMENTS").text = "assessor's note <kept> & all"
        vuln.find("SEVERITY_OVERRIDE").text = "medium"
        vuln.find("SEVERITY_JUSTIFICATION").text = "mitigated by the enclave"
    assert len(vulns) > 2
    # STIG Viewer writes empty elements as <X></X>; lxml would write <X/>.
    for element in root.iter():
        if element.text is None and len(element) == 0:
            element.text = ""
    return etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def _find(root: etree._Element, rule_id: str) -> etree._Element:
    (vuln,) = root.xpath(
        f"STIGS/iSTIG/VULN[STIG_DATA[VULN_ATTRIBUTE='Rule_ID']"
        f"[ATTRIBUTE_DATA='{rule_id}']]"
    )
    return vuln  # type: ignore[no-any-return]


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


@pytest.mark.engine
def test_updating_a_ckl_changes_only_this_rules_status_and_details(
    engine: PrivateEngine, reference: Path
) -> None:
    add_containers(engine, {"rw": "writable", "ro": "read-only"})
    scan = real_scan(engine, "V2R2")
    before = _user_ckl(reference, "V2R2", scan.engine.name)

    after = ckl.update_ckl(before, scan)

    assert_valid_ckl(reference, after)
    old, new = etree.fromstring(before), etree.fromstring(after)
    assert _canonical(old.find("ASSET")) == _canonical(new.find("ASSET"))
    assert _canonical(old.find(".//STIG_INFO")) == _canonical(new.find(".//STIG_INFO"))
    old_vulns, new_vulns = ckl_vulns(before), ckl_vulns(after)
    ours = IDS["V2R2"][1]
    assert list(old_vulns) == list(new_vulns)
    for rule_id in old_vulns:
        if rule_id != ours:
            assert _canonical(old_vulns[rule_id]) == _canonical(new_vulns[rule_id])

    vuln = new_vulns[ours]
    assert vuln.findtext("STATUS") == "Open"
    assert "rw (" in (vuln.findtext("FINDING_DETAILS") or "")
    assert vuln.findtext("COMMENTS") == "assessor's note <kept> & all"
    assert vuln.findtext("SEVERITY_OVERRIDE") == "medium"
    assert vuln.findtext("SEVERITY_JUSTIFICATION") == "mitigated by the enclave"
    changed = [
        child.tag
        for child, was in zip(vuln, old_vulns[ours], strict=True)
        if _canonical(child) != _canonical(was)
    ]
    assert changed == ["STATUS", "FINDING_DETAILS"]


def test_a_ckl_stig_viewer_saved_comes_back_byte_for_byte_but_our_rule(
    reference: Path,
) -> None:
    """STIG Viewer's tabs and <X></X> forms survive: only two elements differ."""
    before = _user_ckl(reference, "V2R2", "docker-host-1")
    scan = hand_scan("V2R2", (verdict("a", Verdict.PASS),))

    after = ckl.update_ckl(before, scan)

    details = ckl_vulns(after)[IDS["V2R2"][1]].findtext("FINDING_DETAILS") or ""
    old = (
        "<STATUS>Not_Reviewed</STATUS>\n\t\t\t\t<FINDING_DETAILS>checked by hand: "
        f"{IDS['V2R2'][1]}</FINDING_DETAILS>"
    )
    new = (
        "<STATUS>NotAFinding</STATUS>\n\t\t\t\t"
        f"<FINDING_DETAILS>{escape(details)}</FINDING_DETAILS>"
    )
    assert before.count(old.encode()) == 1
    assert after == before.replace(old.encode(), new.encode())


@pytest.mark.parametrize("release", sorted(IDS))
def test_the_release_is_detected_from_the_rule_ids(
    release: str, reference: Path
) -> None:
    made = ckl.render_ckl(hand_scan(release, ()), stig=disa(reference, release))
    made_b = cklb.render_cklb(hand_scan(release, ()), stig=disa(reference, release))

    assert ckl.detect_release(made, hand_scan(release, ()).benchmark).name == release
    assert cklb.detect_release(made_b, hand_scan(release, ()).benchmark).name == (
        release
    )


def test_a_checklist_of_another_release_is_refused(reference: Path) -> None:
    before = _user_ckl(reference, "V2R1", "docker-host-1")

    with pytest.raises(InputError, match="is for STIG V2R1, but the scan was made"):
        ckl.update_ckl(before, hand_scan("V2R2", ()))


def test_a_checklist_of_another_stig_is_refused(reference: Path) -> None:
    example = (reference / "checklist" / "example-stigviewer-2.17.ckl").read_bytes()

    with pytest.raises(InputError, match="is a checklist of RHEL_9_STIG, not of"):
        ckl.update_ckl(example, hand_scan("V2R2", ()))
    with pytest.raises(InputError, match="is a checklist of RHEL_9_STIG, not of"):
        ckl.detect_release(example, hand_scan("V2R2", ()).benchmark)


def test_a_checklist_of_another_host_is_refused(reference: Path) -> None:
    before = _user_ckl(reference, "V2R2", "db-server-9")

    with pytest.raises(InputError, match="checklist of host 'db-server-9'"):
        ckl.update_ckl(before, hand_scan("V2R2", ()))


def test_a_rule_id_of_an_unknown_release_is_refused(reference: Path) -> None:
    before = _user_ckl(reference, "V2R2", "docker-host-1")
    changed = before.replace(b"SV-235808r960963_rule", b"SV-235808r999999_rule")

    with pytest.raises(InputError, match="r999999_rule is from a STIG release"):
        ckl.update_ckl(changed, hand_scan("V2R2", ()))


def test_a_prefixed_stig_id_is_accepted(reference: Path) -> None:
    before = _user_ckl(reference, "V2R2", "docker-host-1").replace(
        b"<SID_DATA>Docker_Enterprise",
        b"<SID_DATA>xccdf_mil.disa.stig_benchmark_Docker_Enterprise",
    )

    after = ckl.update_ckl(before, hand_scan("V2R2", (verdict("a", Verdict.FAIL),)))

    assert ckl_vulns(after)[IDS["V2R2"][1]].findtext("STATUS") == "Open"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<CHECKLIST><ASSET/>", "not well-formed XML"),
        (b"<Benchmark/>", "not a STIG Viewer checklist"),
        (
            b'<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><CHECKLIST/>',
            "DOCTYPE declaration",
        ),
    ],
)
def test_what_is_not_a_ckl_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ckl.update_ckl(content, hand_scan("V2R2", ()))


def _user_cklb(reference: Path, release: str, scan: EngineScan) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        cklb.render_cklb(
            hand_scan(release, (), host=scan.engine), stig=disa(reference, release)
        )
    )
    for rule in document["stigs"][0]["rules"]:
        if rule["rule_id_src"] in (IDS[release][1], OTHER_RULE[release]):
            rule["status"] = (
                "open"
                if rule["rule_id_src"] == OTHER_RULE[release]
                else ("not_reviewed")
            )
            rule["comments"] = "assessor's note"
            rule["overrides"] = {"severity": {"severity": "medium", "reason": "x"}}
            rule["finding_details"] = "checked by hand"
    return document


@pytest.mark.engine
def test_updating_a_cklb_changes_only_this_rules_status_and_details(
    engine: PrivateEngine, reference: Path
) -> None:
    add_containers(engine, {"ro": "read-only"})
    scan = real_scan(engine, "V2R2")
    before = _user_cklb(reference, "V2R2", scan)

    after = json.loads(cklb.update_cklb(json.dumps(before).encode(), scan))

    ours = IDS["V2R2"][1]
    old_rules = before["stigs"][0].pop("rules")
    new_rules = after["stigs"][0].pop("rules")
    assert after == before
    assert [r["rule_id_src"] for r in old_rules] == [
        r["rule_id_src"] for r in new_rules
    ]
    for old, new in zip(old_rules, new_rules, strict=True):
        if old["rule_id_src"] != ours:
            assert new == old
            continue
        assert (new["status"], old["status"]) == ("not_a_finding", "not_reviewed")
        assert "ro (" in new["finding_details"]
        assert {
            k: v for k, v in new.items() if k not in ("status", "finding_details")
        } == {k: v for k, v in old.items() if k not in ("status", "finding_details")}


def test_a_cklb_of_another_stig_or_release_is_refused(reference: Path) -> None:
    example = (reference / "checklist" / "example-evaluate-stig.cklb").read_bytes()
    scan = hand_scan("V2R2", ())
    v1 = json.dumps(_user_cklb(reference, "V1R1", scan)).encode()

    with pytest.raises(InputError, match="Google_Chrome_Current_Windows, not of"):
        cklb.update_cklb(example, scan)
    with pytest.raises(InputError, match="is for STIG V1R1, but the scan was made"):
        cklb.update_cklb(v1, scan)
    assert cklb.detect_release(v1, scan.benchmark).name == "V1R1"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"[]", "not a JSON object"), (b"{", "not valid JSON"), (b"{}", "no stigs list")],
)
def test_what_is_not_a_cklb_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        cklb.update_cklb(content, hand_scan("V2R2", ()))


def test_the_stig_id_is_the_anchor(reference: Path) -> None:
    """A rule is found by its STIG ID, DKER-EE-002030, whatever its position."""
    made = _user_ckl(reference, "V1R1", "docker-host-1")

    assert STIG_ID.encode() in made
    assert ckl.detect_release(made, hand_scan("V1R1", ()).benchmark).name == "V1R1"


def test_with_disas_schema_named_a_users_own_deviation_is_let_through(
    reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STIG Viewer files may break the schema already; dockscap adds no new break."""
    monkeypatch.setenv(
        "DOCKSCAP_CKL_SCHEMA",
        str(reference / "checklist" / "U_Checklist_Schema_V2.xsd"),
    )
    before = _user_ckl(reference, "V2R2", "docker-host-1").replace(
        b"<TECH_AREA>Application Review</TECH_AREA>",
        b"<TECH_AREA>Container Platform</TECH_AREA>",
    )
    scan = hand_scan("V2R2", (verdict("a", Verdict.FAIL),))

    after = ckl.update_ckl(before, scan)

    assert ckl_vulns(after)[IDS["V2R2"][1]].findtext("STATUS") == "Open"
    with pytest.raises(InvalidDocumentError, match="TECH_AREA"):
        ckl.assert_sound_ckl(after, source="x.ckl")
    with pytest.raises(InvalidDocumentError, match="STATUS 'Fixed'"):
        ckl.assert_sound_ckl(
            before.replace(b"<STATUS>Open</STATUS>", b"<STATUS>Fixed</STATUS>"),
            source="x.ckl",
        )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_the_plan_takes_the_release_from_the_files(
    reference: Path, tmp_path: Path
) -> None:
    existing = _write(tmp_path / "a.ckl", _user_ckl(reference, "V2R1", "h"))
    stig = reference / "disa" / DISA_FILES["V2R1"]

    plan = plan_checklists(
        hand_scan("V2R1", ()).benchmark,
        stig=stig,
        ckl_path=tmp_path / "new.ckl",
        update_ckl=existing,
    )

    assert plan.release.name == "V2R1"
    assert [(f.path.name, f.description) for f in plan.files] == [
        ("new.ckl", "CKL checklist"),
        ("a.ckl", "updated CKL checklist"),
    ]
    scan = hand_scan("V2R1", (verdict("a", Verdict.FAIL),), host=EngineHost("u", "h"))
    made = plan.files[0].render(scan)
    assert len(ckl_vulns(made)) == 100
    assert ckl_vulns(plan.files[1].render(scan))[IDS["V2R1"][1]].findtext("STATUS") == (
        "Open"
    )


def test_the_plan_defaults_to_the_newest_release() -> None:
    plan = plan_checklists(hand_scan("V2R2", ()).benchmark)

    assert (plan.release.name, plan.files) == ("V2R2", ())


def test_the_plan_refuses_releases_that_disagree(
    reference: Path, tmp_path: Path
) -> None:
    existing = _write(tmp_path / "a.cklb", cklb.render_cklb(hand_scan("V1R1", ())))

    with pytest.raises(InputError, match=r"--release is V2R2; .*a.cklb is V1R1"):
        plan_checklists(
            hand_scan("V2R2", ()).benchmark, release="V2R2", update_cklb=existing
        )
    with pytest.raises(InputError, match=r"V2R1.xml is V2R1; .*a.cklb is V1R1"):
        plan_checklists(
            hand_scan("V2R2", ()).benchmark,
            stig=_write(
                tmp_path / "V2R1.xml",
                (reference / "disa" / DISA_FILES["V2R1"]).read_bytes(),
            ),
            update_cklb=existing,
        )


@pytest.mark.engine
def test_evaluate_updates_a_checklist_in_place_for_its_release(
    engine: PrivateEngine, reference: Path, tmp_path: Path
) -> None:
    add_containers(engine, {"rw": "writable"})
    host = real_scan(engine, "V2R1").engine.name
    path = _write(tmp_path / "host.ckl", _user_ckl(reference, "V2R1", host))
    before = ckl_vulns(path.read_bytes())

    run = CliRunner().invoke(
        main, ["evaluate", "--host", engine.url, "--update-ckl", str(path)]
    )

    assert run.exit_code == 2, run.output
    assert f"Wrote updated CKL checklist: {path}" in run.output
    after = ckl_vulns(path.read_bytes())
    assert after[IDS["V2R1"][1]].findtext("STATUS") == "Open"
    assert _canonical(after[OTHER_RULE["V2R1"]]) == _canonical(
        before[OTHER_RULE["V2R1"]]
    )


def test_evaluate_leaves_a_checklist_of_another_release_alone(
    reference: Path, tmp_path: Path
) -> None:
    data = _user_ckl(reference, "V2R1", "docker-host-1")
    path = _write(tmp_path / "host.ckl", data)

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", f"unix://{tmp_path}/none.sock", "--release", "V2R2"]
        + ["--update-ckl", str(path)],
    )

    assert run.exit_code == 1
    assert "the STIG releases disagree: --release is V2R2;" in run.output
    assert path.read_bytes() == data


def _rule_comments(ckl_path: Path, cklb_path: Path) -> tuple[str, str, str, str]:
    """(CKL STATUS, CKL COMMENTS, CKLB status, CKLB comments) of this rule."""
    vuln = ckl_vulns(ckl_path.read_bytes())[IDS["V2R2"][1]]
    (rule,) = [
        rule
        for rule in json.loads(cklb_path.read_text())["stigs"][0]["rules"]
        if rule["rule_version"] == STIG_ID
    ]
    return (
        vuln.findtext("STATUS") or "",
        vuln.findtext("COMMENTS") or "",
        rule["status"],
        rule["comments"],
    )


def _checklists(
    engine: PrivateEngine, tmp_path: Path, *, waived: bool
) -> tuple[Path, Path, Path]:
    """The engine's MIXED containers, a waivers file, and a CKL and a CKLB of
    them, written with the waivers if WAIVED: their paths (waivers, CKL, CKLB)."""
    create(engine)
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(WAIVERS_YAML)
    ckl_path, cklb_path = tmp_path / "docker01.ckl", tmp_path / "docker01.cklb"
    written = CliRunner().invoke(
        main,
        ["evaluate", "-H", engine.url, "--ckl", str(ckl_path), "--cklb", str(cklb_path)]
        + (["--waivers", str(waivers)] if waived else []),
    )
    assert written.exit_code == 2, written.output
    return waivers, ckl_path, cklb_path


def _edit_comments(ckl_path: Path, cklb_path: Path, comments: str | None) -> None:
    """This rule's comments, as an assessor edits them: None removes the CKL's
    COMMENTS element and makes the CKLB's null."""
    root = etree.fromstring(ckl_path.read_bytes())
    (element,) = root.xpath(f"//VULN[STIG_DATA[ATTRIBUTE_DATA='{STIG_ID}']]/COMMENTS")
    if comments is None:
        element.getparent().remove(element)
    else:
        element.text = comments
    ckl_path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    document = json.loads(cklb_path.read_text())
    for rule in document["stigs"][0]["rules"]:
        if rule["rule_version"] == STIG_ID:
            rule["comments"] = comments
    cklb_path.write_text(json.dumps(document))


@pytest.mark.engine
def test_an_update_replaces_the_waivers_dockscap_wrote_and_keeps_the_users_words(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    waivers, ckl_path, cklb_path = _checklists(engine, tmp_path, waived=True)
    _, summary, _, _ = _rule_comments(ckl_path, cklb_path)
    assert summary.startswith("1 of 4 failing container(s) are under an approved")

    # The assessor writes a note above dockscap's lines, in both checklists.
    note = "Reviewed with the ISSO on 2026-12-01."
    _edit_comments(ckl_path, cklb_path, f"{note}\n\n{summary}")
    update = ["evaluate", "-H", engine.url, "--update-ckl", str(ckl_path)]
    update += ["--update-cklb", str(cklb_path)]

    # The same waivers again: the summary once, after the note.
    again = CliRunner().invoke(main, [*update, "--waivers", str(waivers)])
    assert again.exit_code == 2, again.output
    assert _rule_comments(ckl_path, cklb_path) == (
        "Open",
        f"{note}\n\n{summary}",
        "open",
        f"{note}\n\n{summary}",
    )

    # Every writable container gone: the rule passes and the waivers left with
    # them; the note stays.
    with engine.client() as client:
        for sample in MIXED:
            if not sample.read_only:
                client.containers.get(sample.name).remove(force=True)
    fixed = CliRunner().invoke(main, update)
    assert fixed.exit_code == 0, fixed.output
    assert _rule_comments(ckl_path, cklb_path) == (
        "NotAFinding",
        note,
        "not_a_finding",
        note,
    )


@pytest.mark.engine
def test_a_rule_without_comments_gets_them_and_the_file_stays_sound(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    waivers, ckl_path, cklb_path = _checklists(engine, tmp_path, waived=False)
    _edit_comments(ckl_path, cklb_path, None)

    run = CliRunner().invoke(
        main,
        ["evaluate", "-H", engine.url, "--waivers", str(waivers)]
        + ["--update-ckl", str(ckl_path), "--update-cklb", str(cklb_path)],
    )

    assert run.exit_code == 2, run.output
    status, ckl_comments, cklb_status, cklb_comments = _rule_comments(
        ckl_path, cklb_path
    )
    assert (status, cklb_status) == ("Open", "open")
    assert ckl_comments.startswith("1 of 4 failing container(s) are under an")
    assert cklb_comments == ckl_comments
    checked = CliRunner().invoke(main, ["validate", str(ckl_path), str(cklb_path)])
    assert checked.exit_code == 0, checked.output
