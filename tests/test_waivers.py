"""Waivers: strict loading with file:line messages, expiry, and what they change."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from checklist_support import assert_valid_ckl
from click.testing import CliRunner
from engine_samples import MIXED, WAIVERS_YAML, create, scan_engine
from hand_scans import container, scan
from lxml import etree, html
from private_engine import PrivateEngine
from stig_manager import stig_manager_reads

from dockscap.cli import main
from dockscap.errors import InputError
from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.ckl import render_ckl
from dockscap.evaluator.cklb import render_cklb
from dockscap.evaluator.json_output import render_json
from dockscap.evaluator.report import render_report
from dockscap.evaluator.results import Verdict, Waiver
from dockscap.evaluator.waivers import (
    WaiverError,
    apply_waivers,
    load_waivers,
    override_remark,
    scan_day,
    updated_comments,
    waiver_note,
    waivers_summary,
)
from dockscap.evaluator.xccdf_results import render_xccdf_results
from dockscap.namespaces import XCCDF_12
from dockscap.schemas import assert_valid

VALID = """\
- container: legacy-*
  justification: Vendor image writes to /opt.
  approver: J. Smith, ISSO
  expires: 2030-12-31
- label: com.example.exception
  justification: "Quoted: with a colon"
  approver: A. Jones
  expires: "2031-01-15"
"""


def waiver(
    expires: date, container: str | None = "app-*", label: str | None = None
) -> Waiver:
    return Waiver(
        justification="Approved exception.",
        approver="ISSO",
        expires=expires,
        container=container,
        label=label,
        source="w.yml:1",
    )


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time zone set to New York (UTC-5 in winter)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_valid_file_loads_every_field(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(VALID)

    loaded = load_waivers(path)

    assert loaded == (
        Waiver(
            justification="Vendor image writes to /opt.",
            approver="J. Smith, ISSO",
            expires=date(2030, 12, 31),
            container="legacy-*",
            source="waivers.yml:1",
        ),
        Waiver(
            justification="Quoted: with a colon",
            approver="A. Jones",
            expires=date(2031, 1, 15),
            label="com.example.exception",
            source="waivers.yml:5",
        ),
    )
    assert loaded[0].selector == "container legacy-*"
    assert loaded[1].selector == "label com.example.exception"


def test_an_empty_list_is_no_waivers(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text("[]\n")

    assert load_waivers(path) == ()


ENTRY = "- container: a\n  justification: j\n  approver: x\n  expires: 2030-01-01\n"


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (ENTRY + "  expiry: 2030-01-01\n", "5: [0].expiry", "unknown key"),
        (ENTRY + "  approver: y\n", "5: [0].approver", "duplicate key"),
        (ENTRY.replace("  approver: x\n", ""), "1: [0].approver", "missing key"),
        (ENTRY + "  label: a=b\n", "1: [0]", "give exactly one of container or label"),
        (
            ENTRY.replace("container: a", "justification: j").replace(
                "  justification: j\n  approver", "  approver"
            ),
            "1: [0]",
            "give exactly one of container or label",
        ),
        (
            ENTRY.replace("2030-01-01", "2025-02-30"),
            "4: [0].expires",
            "'2025-02-30' is not a date: day is out of range for month",
        ),
        (
            ENTRY.replace("2030-01-01", "31/12/2025"),
            "4: [0].expires",
            "expected a date YYYY-MM-DD, found '31/12/2025'",
        ),
        (
            ENTRY.replace("2030-01-01", "2030-01-01 10:00:00"),
            "4: [0].expires",
            "expected a date YYYY-MM-DD, found '2030-01-01 10:00:00'",
        ),
        (
            ENTRY.replace("2030-01-01", "[2030-01-01]"),
            "4: [0].expires",
            "expected a date YYYY-MM-DD, found a list or mapping",
        ),
        (
            ENTRY.replace("justification: j", 'justification: ""'),
            "2: [0].justification",
            "expected text, found it empty",
        ),
        (
            ENTRY.replace("approver: x", "approver: 42"),
            "3: [0].approver",
            "expected text, found int 42",
        ),
        (
            ENTRY.replace("container: a", "label: =x"),
            "1: [0].label",
            "'=x' is not of the form KEY or KEY=VALUE",
        ),
        (ENTRY + "- just text\n", "5: [1]", "expected a mapping"),
        ("container: a\n", "1", "expected a list"),
    ],
)
def test_a_malformed_file_is_refused_with_file_line_and_key(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(text)

    with pytest.raises(WaiverError) as raised:
        load_waivers(path)

    assert str(raised.value) == f"{path}:{where}: {problem}"
    assert isinstance(raised.value, InputError)


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(ENTRY + "- [unclosed\n")

    with pytest.raises(WaiverError) as raised:
        load_waivers(path)

    assert str(raised.value).startswith(f"{path}:6: not valid YAML: ")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"

    with pytest.raises(InputError) as raised:
        load_waivers(path)

    assert str(raised.value) == f"{path}: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("scan_date", "expired"),
    [
        (date(2025, 3, 30), False),
        (date(2025, 3, 31), False),  # valid through its expiry day
        (date(2025, 4, 1), True),
    ],
)
def test_a_waiver_is_valid_through_its_expiry_day(
    scan_date: date, expired: bool
) -> None:
    started = datetime(*scan_date.timetuple()[:3], 23, 59, 59).astimezone()
    failing = scan([container("app-1", False)], started=started)

    waived = apply_waivers(failing, [waiver(date(2025, 3, 31))])

    applied = waived.verdicts[0].waiver
    assert applied is not None
    assert applied.expired is expired
    assert waived.verdicts[0].waived is not expired


def test_expiry_is_judged_on_the_local_date_of_the_scan(local_zone: None) -> None:
    # 03:00 UTC on 1 April is still 31 March in New York, the waiver's last day.
    started = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
    failing = scan([container("app-1", False)], started=started)

    waived = apply_waivers(failing, [waiver(date(2025, 3, 31))])

    assert scan_day(failing) == date(2025, 3, 31)
    assert waived.verdicts[0].waived


def test_a_waiver_changes_no_verdict_hides_nothing_and_only_marks_failures() -> None:
    original = scan(
        [
            container("app-writable", False),
            container("app-readonly", True),
            container("app-unknown", None),
            container("other", False),
        ]
    )

    waived = apply_waivers(original, [waiver(date(2999, 1, 1))])

    assert [item.verdict for item in waived.verdicts] == [
        item.verdict for item in original.verdicts
    ]
    assert [item.container for item in waived.verdicts] == [
        item.container for item in original.verdicts
    ]
    assert waived.result is Verdict.FAIL
    assert [item.waived for item in waived.verdicts] == [True, False, False, False]
    assert [item.waiver is None for item in waived.verdicts] == [
        False,
        True,
        True,
        True,
    ]


def test_a_waiver_covering_every_failure_still_fails_the_rule() -> None:
    original = scan([container("app-1", False), container("db", True)])

    waived = apply_waivers(original, [waiver(date(2999, 1, 1))])

    assert waived.result is Verdict.FAIL
    assert len(waived.waived) == 1
    assert "the rule still fails" in waivers_summary(waived)


@pytest.mark.parametrize(
    ("label", "labels", "matches"),
    [
        ("exception", {"exception": "yes"}, True),
        ("exception=yes", {"exception": "yes"}, True),
        ("exception=yes", {"exception": "no"}, False),
        ("exception", {}, False),
    ],
)
def test_label_waivers_match_key_or_key_and_value(
    label: str, labels: dict[str, str], matches: bool
) -> None:
    failing = scan([container("any", False, labels=labels)])

    waived = apply_waivers(failing, [waiver(date(2999, 1, 1), None, label)])

    assert (waived.verdicts[0].waiver is not None) is matches


def test_the_first_waiver_in_force_wins_and_an_expired_one_is_reported() -> None:
    older = waiver(date(2020, 1, 1))
    oldest = waiver(date(2019, 1, 1))
    current = Waiver("second", "B", date(2999, 1, 1), container="app-*", source="w:9")
    failing = scan([container("app-1", False)])

    in_force = apply_waivers(failing, [older, current, oldest])
    lapsed = apply_waivers(failing, [oldest, older])

    assert in_force.verdicts[0].waiver is not None
    assert in_force.verdicts[0].waiver.waiver is current
    assert lapsed.verdicts[0].waiver is not None
    assert lapsed.verdicts[0].waiver.waiver is older
    assert lapsed.verdicts[0].waiver.expired


@pytest.mark.parametrize(
    ("justification", "written"),
    [
        ("Vendor image writes to /opt", "Vendor image writes to /opt."),
        ("Ticket OPS-1. ", "Ticket OPS-1."),
    ],
)
def test_an_override_remark_ends_the_justification_before_the_next_sentence(
    justification: str, written: str
) -> None:
    exception = replace(waiver(date(2999, 1, 1), "app-1"), justification=justification)
    waived = apply_waivers(scan([container("app-1", False)]), [exception])

    remark = override_remark(exception, waived.verdicts)

    assert remark == (
        "Approved exception (w.yml:1, container app-1), valid through 2999-01-01,"
        f" for app-1: {written} The writable root filesystem remains a finding;"
        " the result is unchanged."
    )


def test_waiver_notes_say_what_applies_and_what_expired() -> None:
    failing = scan([container("app-1", False), container("app-2", False)])
    good = waiver(date(2999, 1, 1), "app-1")
    old = waiver(date(2020, 1, 31), "app-2")

    waived = apply_waivers(failing, [good, old])

    assert waiver_note(waived.verdicts[0]) == (
        "Waived through 2999-01-01, approved by ISSO (w.yml:1): Approved exception."
    )
    assert waiver_note(waived.verdicts[1]) == (
        "Waiver expired on 2020-01-31 and no longer applies"
        " (w.yml:1, approved by ISSO: Approved exception.)"
    )
    summary = waivers_summary(waived).splitlines()
    assert summary[0] == (
        "1 of 2 failing container(s) are under an approved waiver;"
        " the rule still fails and the finding stays open."
    )
    assert summary[1].startswith("- app-1 (")
    assert summary[2].startswith("- app-2 (")


def test_a_justification_of_several_lines_is_one_line_in_the_notes() -> None:
    failing = scan([container("app-1", False)])
    block = replace(
        waiver(date(2999, 1, 1), "app-1"),
        justification="Nightly batch job.\n- writes its cache at start\n",
        approver="J. Smith,\nISSO",
    )

    waived = apply_waivers(failing, [block])

    assert waiver_note(waived.verdicts[0]) == (
        "Waived through 2999-01-01, approved by J. Smith, ISSO (w.yml:1):"
        " Nightly batch job. - writes its cache at start"
    )
    assert len(waivers_summary(waived).splitlines()) == 2


@pytest.mark.engine
def test_waivers_on_a_real_engine_through_json_and_html(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS_YAML)
    scanned = scan_engine(engine)

    waived = apply_waivers(scanned, load_waivers(path))
    document = json.loads(render_json([waived]))
    page = html.fromstring(render_report([waived]))

    # Worked out from MIXED and WAIVERS_YAML: legacy-* is in force (2999),
    # the batch label waiver expired in 2020, the other writable ones have none.
    host = document["hosts"][0]
    assert host["result"] == "fail"
    assert host["counts"]["checked"] == len(MIXED)
    assert host["counts"]["fail"] == 4
    assert host["counts"]["waived"] == 1
    entries = {item["name"]: item for item in host["containers"]}
    assert entries["legacy-reporting"]["waived"] is True
    assert entries["legacy-reporting"]["verdict"] == "fail"
    assert entries["legacy-reporting"]["waiver"]["justification"] == (
        "Vendor image writes its cache under /opt at start; OPS-1234."
    )
    assert entries["nightly-batch"]["waived"] is False
    assert entries["nightly-batch"]["waiver"]["expired"] is True
    assert entries["shop-api-1"]["waiver"] is None
    assert [(w["expired"], len(w["applied_to"])) for w in host["waivers"]] == [
        (False, 1),
        (True, 1),
    ]

    rows = {
        row.find_class("name")[0].text_content(): row
        for row in page.get_element_by_id("host-1")
        .find_class("containers")[0]
        .find("tbody")
        .iter("tr")
    }
    assert rows["legacy-reporting"].get("data-status") == "waived"
    assert "OPS-1234" in rows["legacy-reporting"].text_content()
    assert rows["nightly-batch"].get("data-status") == "fail"
    assert "EXPIRED" in rows["nightly-batch"].text_content()
    assert "no longer applies" in rows["nightly-batch"].text_content()
    assert page.find_class("verdict")[0].text_content().strip() == "FAIL"


@pytest.mark.engine
@pytest.mark.node
def test_xccdf_records_a_waiver_as_an_override_that_keeps_the_result(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS_YAML)
    waived = apply_waivers(scan_engine(engine), load_waivers(path))

    data = render_xccdf_results(waived)
    assert_valid(data, source="the XCCDF results")
    arf = render_arf([waived])
    assert_valid(arf, source="the ARF")
    assert len(etree.fromstring(arf).findall(f".//{{{XCCDF_12}}}override")) == 1
    results = tmp_path / "xccdf.xml"
    results.write_bytes(data)
    parsed = stig_manager_reads("xccdf", results)

    rule_result = etree.fromstring(data).find(f".//{{{XCCDF_12}}}rule-result")
    assert rule_result is not None
    overrides = rule_result.findall(f"{{{XCCDF_12}}}override")
    # Only the legacy-* waiver is in force; the expired batch waiver is not one.
    assert len(overrides) == 1
    override = overrides[0]
    assert override.get("authority") == "J. Smith, ISSO"
    assert override.findtext(f"{{{XCCDF_12}}}old-result") == "fail"
    assert override.findtext(f"{{{XCCDF_12}}}new-result") == "fail"
    remark = override.findtext(f"{{{XCCDF_12}}}remark") or ""
    assert "OPS-1234" in remark and "legacy-reporting" in remark
    assert rule_result.findtext(f"{{{XCCDF_12}}}result") == "fail"
    message = rule_result.findtext(f"{{{XCCDF_12}}}message") or ""
    assert "Waiver expired on 2020-01-31 and no longer applies" in message

    (review,) = parsed["checklists"][0]["reviews"]
    assert review["result"] == "fail"
    (imported,) = review["resultEngine"]["overrides"]
    assert imported["authority"] == "J. Smith, ISSO"
    assert (imported["oldResult"], imported["newResult"]) == ("fail", "fail")
    assert "OPS-1234" in imported["remark"]


@pytest.mark.engine
def test_evaluate_reads_waivers_and_writes_them_into_json_and_html(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS_YAML)
    report, results = tmp_path / "report.html", tmp_path / "results.json"

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", engine.url, "--waivers", str(path)]
        + ["--report", str(report), "--json", str(results)],
    )

    assert run.exit_code == 2, run.output  # the rule still fails
    assert "Waivers (1 in force; waived containers still fail):" in run.output
    document = json.loads(results.read_text())
    assert document["hosts"][0]["counts"]["waived"] == 1
    assert [w["source"] for w in document["hosts"][0]["waivers"]] == [
        "waivers.yml:2",
        "waivers.yml:6",
    ]
    assert "OPS-1234" in report.read_text()


def test_evaluate_stops_on_a_malformed_waivers_file_before_any_scan(
    tmp_path: Path,
) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(ENTRY.replace("2030-01-01", "2030-13-01"))
    report = tmp_path / "report.html"

    # The host does not exist: the waivers file is refused before it is tried.
    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", "unix:///nonexistent/docker.sock"]
        + ["--waivers", str(path), "--report", str(report)],
    )

    assert run.exit_code == 1
    assert run.output == (
        f"Error: {path}:4: [0].expires: '2030-13-01' is not a date:"
        " month must be in 1..12\n"
    )
    assert not report.exists()


@pytest.mark.engine
@pytest.mark.node
def test_checklists_keep_a_waived_finding_open_with_the_waiver_in_comments(
    engine: PrivateEngine, reference: Path, tmp_path: Path
) -> None:
    create(engine)
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS_YAML)
    waived = apply_waivers(scan_engine(engine), load_waivers(path))

    ckl = render_ckl(waived)
    assert_valid_ckl(reference, ckl)
    cklb = render_cklb(waived)
    (tmp_path / "w.ckl").write_bytes(ckl)
    (tmp_path / "w.cklb").write_bytes(cklb)
    from_ckl = stig_manager_reads("ckl", tmp_path / "w.ckl")
    from_cklb = stig_manager_reads("cklb", tmp_path / "w.cklb")

    vuln = next(
        vuln
        for vuln in etree.fromstring(ckl).iter("VULN")
        if vuln.findtext("STATUS") != "Not_Reviewed"
    )
    comments = vuln.findtext("COMMENTS") or ""
    details = vuln.findtext("FINDING_DETAILS") or ""
    assert vuln.findtext("STATUS") == "Open"
    assert comments.startswith(
        "1 of 4 failing container(s) are under an approved waiver;"
        " the rule still fails and the finding stays open."
    )
    assert "OPS-1234" in comments and "J. Smith, ISSO" in comments
    assert "Waiver expired on 2020-01-31 and no longer applies" in comments
    assert "OPS-1234" in details
    rule = next(
        rule
        for rule in json.loads(cklb)["stigs"][0]["rules"]
        if rule["status"] != "not_reviewed"
    )
    assert rule["status"] == "open"
    assert rule["comments"] == comments
    for parsed in (from_ckl, from_cklb):
        (review,) = [
            review
            for review in parsed["checklists"][0]["reviews"]
            if review["ruleId"] == "SV-235808r960963_rule"
        ]
        assert review["result"] == "fail"
        assert review["comment"] == comments.strip()


# The waivers summary of an earlier scan, as dockscap wrote it into COMMENTS.
OPENING = (
    "2 of 3 failing container(s) are under an approved waiver; the rule still"
    " fails and the finding stays open."
)
FIRST = (
    "- app-1 (0123456789ab, image shop/app:1.4, running): Waived through"
    " 2030-01-01, approved by ISSO (w.yml:1): Approved exception."
)
SECOND = (
    "- app-2 (abcdef012345, image shop/app:1.4, exited, compose project shop"
    " service app): Waiver expired on 2020-01-31 and no longer applies (w.yml:4,"
    " approved by ISSO: Old.)"
)
EARLIER = f"{OPENING}\n{FIRST}\n{SECOND}"


@pytest.mark.parametrize(
    ("comments", "summary", "updated"),
    [
        ("", "", ""),
        ("Assessor's note.", "", "Assessor's note."),
        ("", "NEW", "NEW"),
        ("Assessor's note.", "NEW", "Assessor's note.\n\nNEW"),
        (EARLIER, "", ""),
        (EARLIER, "NEW", "NEW"),
        (f"Assessor's note.\n\n{EARLIER}", "", "Assessor's note."),
        (f"Assessor's note.\n\n{EARLIER}", "NEW", "Assessor's note.\n\nNEW"),
        (f"Before.\n\n{EARLIER}\n\nAfter.", "NEW", "Before.\n\nAfter.\n\nNEW"),
        (f"Note. {EARLIER}", "", "Note."),
        # The user's own lines, even "- " ones, right under it or inside it.
        (f"{EARLIER}\n- my own item", "", "- my own item"),
        (f"{OPENING}\n{FIRST}\nMine.\n{SECOND}", "NEW", "Mine.\n\nNEW"),
        # Without the first line, "- " lines are the user's, whatever they say.
        (f"Copied:\n{FIRST}", "", f"Copied:\n{FIRST}"),
    ],
)
def test_an_update_replaces_only_the_waivers_summary_dockscap_wrote(
    comments: str, summary: str, updated: str
) -> None:
    assert updated_comments(comments, summary) == updated
