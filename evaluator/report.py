"""`--report`: one self-contained HTML page for people, for every engine of a run.

The page carries its styles and its small sorting script inline and loads
nothing, so it can be mailed, archived or opened offline. It is written as
polyglot HTML (also well-formed XML), which lets us check it before it is
written, the way every other output is checked, with the checks
`dockscap validate` makes (schemas/html_report.py).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
import markupsafe

from dockscap import __version__
from dockscap.evaluator.evidence import xml_safe
from dockscap.evaluator.results import (
    ContainerVerdict,
    EngineScan,
    UnscannedEngine,
    Verdict,
    Waiver,
)
from dockscap.evaluator.waivers import is_expired, scan_day
from dockscap.schemas.html_report import assert_sound_html_report
from dockscap.timestamps import now, xs_datetime

TEMPLATE = "report.html.j2"

# DISA's category for each XCCDF severity.
CATEGORIES = {"high": "CAT I", "medium": "CAT II", "low": "CAT III"}

# Rows sort worst first: open findings, waived findings, undetermined, passing.
ORDER = {"fail": 0, "waived": 1, "error": 2, "pass": 3}


@dataclass(frozen=True)
class Row:
    """One container as the table shows it."""

    item: ContainerVerdict
    status: str
    owner: str

    @property
    def order(self) -> int:
        return ORDER[self.status]


@dataclass(frozen=True)
class WaiverRow:
    waiver: Waiver
    expired: bool
    applied_to: tuple[str, ...]


@dataclass(frozen=True)
class HostView:
    """What the template needs of one scan, worked out here rather than in Jinja."""

    scan: EngineScan
    anchor: str
    rows: tuple[Row, ...]
    waivers: tuple[WaiverRow, ...]
    open_findings: int
    expired_waivers: int
    headline: str


def render_report(
    scans: Sequence[EngineScan], unscanned: Sequence[UnscannedEngine] = ()
) -> bytes:
    """The report as UTF-8 bytes, checked to be well-formed before it is returned.

    UNSCANNED are the engines of the run that could not be scanned: the page
    opens with them, so that nobody takes it for the whole fleet.
    """
    if not scans:
        raise ValueError("a report needs at least one scan")

    first = scans[0]
    hosts = [_host(scan, index) for index, scan in enumerate(scans, start=1)]
    page = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            tool_version=__version__,
            generated=xs_datetime(now()),
            benchmark=first.benchmark,
            release=first.release,
            rule=first.rule,
            ids=first.rule.ids(first.release.name),
            rule_xccdf_id=first.benchmark.xccdf_id(
                "rule", first.rule.ids(first.release.name).rule
            ),
            category=CATEGORIES.get(first.rule.severity, first.rule.severity),
            hosts=hosts,
            unscanned=unscanned,
            docker_run=docker_run_example(scans),
            compose=compose_example(scans),
        )
    )

    data = page.encode("utf-8")
    assert_sound_html_report(data, source="the new HTML report")
    return data


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("dockscap.evaluator", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_xml_text,
    )
    environment.filters["paragraphs"] = _paragraphs
    environment.filters["xs_datetime"] = xs_datetime
    return environment


def _xml_text(value: object) -> object:
    """Every value the page shows, without the characters XML 1.0 forbids.

    An engine's text may hold any of them, and one would make the page not
    well-formed (and not valid HTML either); they are replaced and logged. A
    carriage return is written as a reference, which parsers do not fold
    into a line feed. Escaped text (Markup) stays escaped, once.
    """
    if not isinstance(value, str):
        return value
    if not isinstance(value, markupsafe.Markup):
        value = markupsafe.escape(value)
    text = xml_safe(str(value), "the HTML report").replace("\r", "&#13;")
    return markupsafe.Markup(text)


def _host(scan: EngineScan, index: int) -> HostView:
    rows = sorted(
        (_row(item) for item in scan.verdicts),
        key=lambda row: (row.order, row.item.container.name),
    )
    waivers = tuple(_waiver_row(scan, waiver) for waiver in scan.waivers)
    open_findings = sum(1 for row in rows if row.status == "fail")
    return HostView(
        scan=scan,
        anchor=f"host-{index}",
        rows=tuple(rows),
        waivers=waivers,
        open_findings=open_findings,
        expired_waivers=sum(
            1 for row in rows if row.item.waiver and row.item.waiver.expired
        ),
        headline=_headline(scan, open_findings),
    )


def _row(item: ContainerVerdict) -> Row:
    status = str(item.verdict)
    if item.waived:
        status = "waived"
    return Row(item=item, status=status, owner=_owner(item))


def _owner(item: ContainerVerdict) -> str:
    container = item.container
    parts = []
    if container.compose_project or container.compose_service:
        parts.append(
            f"compose {container.compose_project or '?'}"
            f" / {container.compose_service or '?'}"
        )
    if container.swarm_service:
        parts.append(f"swarm {container.swarm_service}")
    return "; ".join(parts)


def _waiver_row(scan: EngineScan, waiver: Waiver) -> WaiverRow:
    applied = tuple(
        item.container.name
        for item in scan.verdicts
        if item.waiver is not None and item.waiver.waiver == waiver
    )
    return WaiverRow(waiver, is_expired(waiver, scan_day(scan)), applied)


def _headline(scan: EngineScan, open_findings: int) -> str:
    """The host's result in words a system administrator acts on."""
    failing = len(scan.with_verdict(Verdict.FAIL))
    errors = len(scan.with_verdict(Verdict.ERROR))
    if failing:
        text = f"{failing} container(s) have a writable root filesystem"
        waived = failing - open_findings
        if waived:
            text += f"; {waived} of them under an approved waiver, which records"
            text += " the accepted risk but does not make the rule pass"
        return text + "."
    if not scan.verdicts:
        return scan.none_checked
    if errors:
        return (
            f"No writable root filesystem found, but {errors} container(s)"
            " could not be checked."
        )
    return "Every container checked has a read-only root filesystem."


def docker_run_example(scans: Sequence[EngineScan]) -> str:
    """Creating the first open finding anew, read-only, or a placeholder container.

    The container's other options and its command are not in the scan, so they
    stay placeholders; nothing here removes the running container.
    """
    failing = _first_failing(scans)
    name = failing.container.name if failing else "my-app"
    image = failing.container.image if failing else "registry.example/my-app:1.0"
    return "\n".join(
        [
            "docker run --read-only --tmpfs /tmp --tmpfs /run \\",
            f"  <the other options {name} was created with> \\",
            f"  {shlex.quote(image)} <its command>",
        ]
    )


def compose_example(scans: Sequence[EngineScan]) -> str:
    """A compose service with read_only: true, named after the first open finding."""
    failing = _first_failing(scans)
    service = "my-app"
    image = "registry.example/my-app:1.0"
    if failing:
        container = failing.container
        service = container.compose_service or container.name
        image = container.image
    return "\n".join(
        [
            "services:",
            f"  {_yaml_key(service)}:",
            f"    image: {_yaml_scalar(image)}",
            "    read_only: true",
            "    tmpfs:",
            "      - /tmp",
            "      - /run",
        ]
    )


def _first_failing(scans: Sequence[EngineScan]) -> ContainerVerdict | None:
    """The open finding the table lists first: first host, then by name."""
    for scan in scans:
        open_findings = [
            item
            for item in scan.verdicts
            if item.verdict is Verdict.FAIL and not item.waived
        ]
        if open_findings:
            return min(open_findings, key=lambda item: item.container.name)
    return None


def _yaml_key(text: str) -> str:
    plain = text.replace("-", "").replace("_", "").replace(".", "").isalnum()
    return text if plain else _yaml_scalar(text)


def _yaml_scalar(text: str) -> str:
    # A double-quoted YAML scalar accepts JSON's string escapes.
    return json.dumps(text)


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]
