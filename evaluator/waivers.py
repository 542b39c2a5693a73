"""Waivers: documented, approved exceptions for containers that fail the rule.

A waivers file is a YAML list; each entry names its containers by `container`
(a name or shell-style glob) or by `label` (KEY or KEY=VALUE), and carries a
`justification`, an `approver` and an `expires` day (YYYY-MM-DD):

    - container: legacy-*
      justification: Vendor image writes to /var/lib at start; ticket OPS-1234.
      approver: J. Smith, ISSO
      expires: 2025-12-31

A waiver is valid through its `expires` day, judged by the scan's start date
in local time. It only annotates failing containers: it never hides a
container, never changes a verdict and never changes the rule's result. Each
output records it (docs/json-output.md, the README's "Waivers" section).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from dockscap.errors import ContentError, InputError
from dockscap.evaluator.filters import LabelSelector
from dockscap.evaluator.results import (
    AppliedWaiver,
    Container,
    ContainerVerdict,
    EngineScan,
    Verdict,
    Waiver,
)

# The content loader's line-aware YAML reader, reused so that both files report
# mistakes the same way (file:line: key: problem).
from dockscap.generator.content import _document, _Node

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIELDS = {"justification", "approver", "expires"}
SELECTORS = frozenset({"container", "label"})


class WaiverError(ContentError, InputError):
    """The waivers file is not a valid list of waivers; the message names file:line."""


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Read and check a waivers file; any mistake stops the run before the scan."""
    try:
        entries = _document(Path(path)).items()
        return tuple(_waiver(entry) for entry in entries)
    except WaiverError:
        raise
    except ContentError as error:
        raise WaiverError(error.path, error.line, error.key, error.problem) from None


def _waiver(node: _Node) -> Waiver:
    fields = node.mapping(FIELDS, SELECTORS)
    chosen = sorted(SELECTORS & fields.keys())
    if len(chosen) != 1:
        raise WaiverError(
            node.path, node.line, node.key, "give exactly one of container or label"
        )

    selector = fields[chosen[0]]
    container = label = None
    if chosen[0] == "container":
        container = selector.text()
    else:
        label = _label(selector)

    return Waiver(
        justification=fields["justification"].text(),
        approver=fields["approver"].text(),
        expires=_expires(fields["expires"]),
        container=container,
        label=label,
        source=f"{node.path.name}:{node.line}",
    )


def _label(node: _Node) -> str:
    text = node.text()
    try:
        return str(LabelSelector.parse(text))
    except InputError:
        raise node.error(f"{text!r} is not of the form KEY or KEY=VALUE") from None


def _expires(node: _Node) -> date:
    # Read the raw text rather than YAML's timestamp type, which also accepts
    # date-times and fails with a bare ValueError on days like 2025-02-30.
    raw = node.node.value if isinstance(node.node, yaml.ScalarNode) else None
    if not isinstance(raw, str) or not DAY.match(raw):
        found = "a list or mapping" if raw is None else repr(raw)
        raise node.error(f"expected a date YYYY-MM-DD, found {found}")
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise node.error(f"{raw!r} is not a date: {error}") from None


def scan_day(scan: EngineScan) -> date:
    """The day a waiver's expiry is judged on: the scan's start, in local time."""
    return scan.started.astimezone().date()


def is_expired(waiver: Waiver, day: date) -> bool:
    """A waiver is valid through its `expires` day and expired from the day after."""
    return day > waiver.expires


def matches(waiver: Waiver, container: Container) -> bool:
    if waiver.container is not None:
        return fnmatchcase(container.name.lstrip("/"), waiver.container)
    assert waiver.label is not None
    return LabelSelector.parse(waiver.label).matches(container.labels)


def apply_waivers(scan: EngineScan, waivers: Sequence[Waiver]) -> EngineScan:
    """The scan with each failing container's waiver recorded, verdicts unchanged."""
    day = scan_day(scan)
    verdicts = tuple(_annotate(item, waivers, day) for item in scan.verdicts)
    return replace(scan, verdicts=verdicts, waivers=tuple(waivers))


def _annotate(
    item: ContainerVerdict, waivers: Sequence[Waiver], day: date
) -> ContainerVerdict:
    if item.verdict is not Verdict.FAIL:
        return item

    found = [waiver for waiver in waivers if matches(waiver, item.container)]
    if not found:
        return item

    # A waiver in force wins (the first in the file); otherwise report the one
    # that expired last, so the output can say when the exception ran out.
    in_force = [waiver for waiver in found if not is_expired(waiver, day)]
    if in_force:
        return replace(item, waiver=AppliedWaiver(in_force[0], expired=False))
    latest = max(found, key=lambda waiver: waiver.expires)
    return replace(item, waiver=AppliedWaiver(latest, expired=True))


def waiver_note(item: ContainerVerdict) -> str | None:
    """One sentence on a container's waiver, for finding details and comments."""
    if item.waiver is None:
        return None

    waiver = item.waiver.waiver
    # One line, whatever the YAML's block scalars held: finding details and
    # comments give a line to each container.
    approver, justification = (
        " ".join(text.split()) for text in (waiver.approver, waiver.justification)
    )
    if item.waiver.expired:
        return (
            f"Waiver expired on {waiver.expires.isoformat()} and no longer applies"
            f" ({waiver.source}, approved by {approver}: {justification})"
        )
    return (
        f"Waived through {waiver.expires.isoformat()}, approved by"
        f" {approver} ({waiver.source}): {justification}"
    )


def waivers_in_force(
    scan: EngineScan,
) -> list[tuple[Waiver, tuple[ContainerVerdict, ...]]]:
    """Each waiver in force on the scan, with the failing containers it covers."""
    covered: dict[Waiver, list[ContainerVerdict]] = {}
    for item in scan.waived:
        assert item.waiver is not None
        covered.setdefault(item.waiver.waiver, []).append(item)
    return [(waiver, tuple(items)) for waiver, items in covered.items()]


def override_remark(waiver: Waiver, items: Sequence[ContainerVerdict]) -> str:
    """What an XCCDF override records for a waiver: the result stays as it was."""
    names = ", ".join(item.container.name for item in items)
    return (
        f"Approved exception ({waiver.source}, {waiver.selector}), valid through"
        f" {waiver.expires.isoformat()}, for {names}: {_sentence(waiver.justification)}"
        " The writable root filesystem remains a finding; the result is unchanged."
    )


def _sentence(text: str) -> str:
    """The user's justification, ended so that the next sentence can follow it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


# How the first line of waivers_summary ends, after "N of M".
SUMMARY_OPENING = (
    " failing container(s) are under an approved waiver;"
    " the rule still fails and the finding stays open."
)
# What a summary dockscap wrote before is made of: its first line, and a line
# for each container, "- NAME (SHORT ID, image ...): Waived through ..." or
# "...: Waiver expired on ...". A user's own "- " line matches neither.
_EARLIER_OPENING = re.compile(rf"\d+ of \d+{re.escape(SUMMARY_OPENING)}")
_EARLIER_LINE = re.compile(
    r"^- .* \([0-9a-f]{12}, image .*\): (?:Waived through|Waiver expired on) .*$\n?",
    re.MULTILINE,
)
# The blank lines that were left where those lines were.
_GAP = re.compile(r"\n(?:[ \t]*\n)+")


def waivers_summary(scan: EngineScan) -> str:
    """The waivers of a scan in a few lines, for checklist COMMENTS; '' if none matched.

    It states that the finding stays open: a waiver records an accepted risk, it
    does not make a writable root filesystem compliant.
    """
    noted = [item for item in scan.verdicts if item.waiver is not None]
    if not noted:
        return ""

    failing = len(scan.with_verdict(Verdict.FAIL))
    lines = [f"{len(scan.waived)} of {failing}{SUMMARY_OPENING}"]
    for item in noted:
        lines.append(f"- {item.container.describe()}: {waiver_note(item)}")
    return "\n".join(lines)


def updated_comments(comments: str, summary: str) -> str:
    """A checklist's COMMENTS with the waivers summary dockscap wrote before, if
    any, replaced by SUMMARY (this scan's, perhaps ''); the user's words stay.

    Left in place, an earlier summary would contradict the new status: waivers
    of containers since removed, or a finding "open" that no longer is.
    """
    kept = comments
    if _EARLIER_OPENING.search(comments):
        kept = _EARLIER_LINE.sub("", _EARLIER_OPENING.sub("", comments))
        kept = _GAP.sub("\n\n", kept).strip()
    if not summary:
        return kept
    return f"{kept}\n\n{summary}" if kept.strip() else summary
