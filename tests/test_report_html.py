"""--report: the HTML page, opened in real headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser import Page, chromium
from click.testing import CliRunner
from conftest import require_tool
from engine_samples import WAIVERS_YAML, Sample, create, scan_engine
from hand_scans import container, scan
from lxml import html
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.evaluator.report import render_report
from dockscap.evaluator.waivers import apply_waivers, load_waivers

ROWS = """
Array.from(document.querySelectorAll('#host-1 table.containers tbody tr'))
  .filter(row => !row.hidden)
  .map(row => [row.querySelector('.name').textContent, row.dataset.status])
"""

# Worked out by hand from MIXED and WAIVERS_YAML: which row shows what.
EXPECTED_STATUS = {
    "shop-web-1": "pass",
    "shop-api-1": "fail",
    "legacy-reporting": "waived",  # legacy-* waiver, in force until 2999
    "nightly-batch": "fail",  # its label waiver expired in 2020
    "scratch": "fail",
    "job-done": "pass",
}


@pytest.fixture(scope="module")
def browser_path() -> str:
    return require_tool("chromium", "chromium")


def open_report(browser: Page, path: Path) -> None:
    browser.open(path.as_uri())
    assert browser.console_problems() == []


@pytest.mark.engine
def test_a_mixed_engine_with_a_waiver_shows_its_failures_without_console_errors(
    engine: PrivateEngine, tmp_path: Path, browser_path: str
) -> None:
    create(engine)
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(WAIVERS_YAML)
    report = tmp_path / "report.html"
    report.write_bytes(
        render_report([apply_waivers(scan_engine(engine), load_waivers(waivers))])
    )

    with chromium(browser_path) as browser:
        open_report(browser, report)
        rows = browser.evaluate(ROWS)
        verdict = browser.evaluate(
            "document.querySelector('#host-1 .verdict').innerText"
        )
        tiles = browser.evaluate(
            "Array.from(document.querySelectorAll('#host-1 .tile'))"
            ".map(tile => tile.innerText.replace(/\\s+/g, ' ').trim())"
        )
        failing_visible = browser.evaluate(
            "Array.from(document.querySelectorAll('tr[data-status=fail]'))"
            ".every(row => row.getBoundingClientRect().height > 0)"
        )
        waived_text = browser.evaluate(
            "document.querySelector('tr[data-status=waived]').innerText"
        )
        browser.screenshot(tmp_path / "report.png")

    assert dict(rows) == EXPECTED_STATUS
    # Open findings first, then waived ones, then passing, each by name.
    assert [status for _, status in rows] == ["fail"] * 3 + ["waived"] + ["pass"] * 2
    assert [name for name, _ in rows[:3]] == ["nightly-batch", "scratch", "shop-api-1"]
    assert verdict == "FAIL"
    assert tiles == [
        "6 checked",
        "3 writable, open",
        "1 writable, waived",
        "0 undetermined",
        "2 read-only",
        "0 removed during scan",
    ]
    assert failing_visible is True
    assert "WAIVED through 2999-12-31" in waived_text
    assert "OPS-1234" in waived_text and "J. Smith, ISSO" in waived_text
    assert (tmp_path / "report.png").stat().st_size > 20_000


def test_sorting_and_showing_only_open_findings(
    tmp_path: Path, browser_path: str
) -> None:
    report = tmp_path / "report.html"
    report.write_bytes(
        render_report(
            [
                scan(
                    [
                        container("charlie", False),
                        container("alpha", True),
                        container("bravo", None),
                        container("delta", False),
                    ]
                )
            ]
        )
    )
    click = "document.querySelectorAll('#host-1 thead th button')[{}].click()"

    with chromium(browser_path) as browser:
        open_report(browser, report)
        initial = browser.evaluate(ROWS)
        browser.evaluate(click.format(1))
        by_name = browser.evaluate(ROWS)
        browser.evaluate(click.format(1))
        by_name_reversed = browser.evaluate(ROWS)
        browser.evaluate("document.querySelector('#host-1 [data-show=fail]').click()")
        open_only = browser.evaluate(ROWS)
        browser.evaluate("document.querySelector('#host-1 [data-show=all]').click()")
        everything = browser.evaluate(ROWS)
        problems = browser.console_problems()

    assert initial == [
        ["charlie", "fail"],
        ["delta", "fail"],
        ["bravo", "error"],
        ["alpha", "pass"],
    ]
    assert [name for name, _ in by_name] == ["alpha", "bravo", "charlie", "delta"]
    assert [name for name, _ in by_name_reversed] == [
        "delta",
        "charlie",
        "bravo",
        "alpha",
    ]
    assert open_only == [["delta", "fail"], ["charlie", "fail"]]
    assert len(everything) == 4
    assert problems == []


@pytest.mark.engine
def test_text_from_the_engine_and_the_waivers_file_stays_text(
    engine: PrivateEngine, tmp_path: Path, browser_path: str
) -> None:
    hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    create(
        engine,
        (Sample("app", False, "create", {"com.docker.compose.service": hostile}),),
    )
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(
        "- container: app\n"
        f"  justification: {json.dumps('</td></tr><script>window.pwned=3</script>')}\n"
        "  approver: '<b>me</b>'\n"
        "  expires: 2999-01-01\n"
    )
    report = tmp_path / "report.html"
    report.write_bytes(
        render_report([apply_waivers(scan_engine(engine), load_waivers(waivers))])
    )

    with chromium(browser_path) as browser:
        open_report(browser, report)
        pwned = browser.evaluate("typeof window.pwned")
        row = browser.evaluate("document.querySelector('#host-1 tbody tr').innerText")
        scripts = browser.evaluate("document.scripts.length")
        images = browser.evaluate("document.images.length")

    assert pwned == "undefined"
    assert hostile in row
    assert "</td></tr><script>window.pwned=3</script>" in row
    assert "<b>me</b>" in row
    assert (scripts, images) == (1, 0)


def test_the_page_loads_nothing_from_anywhere(
    tmp_path: Path, browser_path: str
) -> None:
    data = render_report([scan([container("a", False)]), scan([], engine="b")])
    report = tmp_path / "report.html"
    report.write_bytes(data)
    page = html.fromstring(data)

    with chromium(browser_path) as browser:
        open_report(browser, report)
        loaded = browser.evaluate("performance.getEntriesByType('resource').length")

    assert loaded == 0
    assert (
        page.xpath("//link | //img | //iframe | //object | //embed | //script[@src]")
        == []
    )
    assert all(href.startswith("#") for href in page.xpath("//@href"))
    assert page.xpath("//@src") == []
    style = "".join(page.xpath("//style/text()"))
    assert not re.search(r"url\(|@import", style)


def test_every_host_the_rule_and_the_fix_are_shown() -> None:
    failing = scan(
        [
            container(
                "api-1",
                False,
                image="registry.example/api:1.9",
                labels={"com.docker.compose.service": "api"},
            )
        ],
        filters=["only containers with label env=prod"],
    )
    empty = scan([], engine="docker-host-02")

    page = html.fromstring(render_report([failing, empty]))

    overview = [
        [cell.text_content().strip() for cell in row.iter("td")][:2]
        for row in page.get_element_by_id("overview").iter("tr")
        if row.find("td") is not None
    ]
    assert [(name.split()[0], result) for name, result in overview] == [
        ("docker-host-01", "FAIL"),
        ("docker-host-02", "PASS"),
    ]
    assert "No containers were found" in page.get_element_by_id("host-2").text_content()
    rule = page.get_element_by_id("rule").text_content()
    assert "SV-235808r960963_rule" in rule and "CAT I" in rule and "CCI-000381" in rule
    assert "If ReadonlyRootfs=false" in rule  # DISA's check text, from content/
    examples = [
        code.text_content() for code in page.get_element_by_id("fix").iter("pre")
    ]
    assert examples[0].splitlines() == [
        "docker run --read-only --tmpfs /tmp --tmpfs /run \\",
        "  <the other options api-1 was created with> \\",
        "  registry.example/api:1.9 <its command>",
    ]
    assert examples[1].splitlines()[:4] == [
        "services:",
        "  api:",
        '    image: "registry.example/api:1.9"',
        "    read_only: true",
    ]
    method = page.get_element_by_id("method").text_content()
    assert (
        "HostConfig.ReadonlyRootfs" in method and "never changes its verdict" in method
    )


@pytest.mark.engine
def test_evaluate_writes_a_report_that_states_its_filters(
    engine: PrivateEngine, tmp_path: Path, browser_path: str
) -> None:
    create(engine)
    report = tmp_path / "report.html"

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", engine.url, "--report", str(report)]
        + ["--label", "env=prod"],
    )

    assert run.exit_code == 2, run.output
    assert "Wrote HTML report:" in run.output and report.is_file()
    with chromium(browser_path) as browser:
        open_report(browser, report)
        rows = browser.evaluate(ROWS)
        notice = browser.evaluate(
            "document.querySelector('#host-1 .notice-filter').innerText"
        )

    # MIXED's env=prod containers: one read-only, two writable, none waived.
    assert rows == [
        ["legacy-reporting", "fail"],
        ["shop-api-1", "fail"],
        ["shop-web-1", "pass"],
    ]
    assert "not every container on this engine was checked" in notice
    assert "only containers with label env=prod" in notice
