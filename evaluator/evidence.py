"""The evidence of a scan in words, as the XCCDF and ARF results carry it.

The results name the check system that ran (the Engine API, not OVAL) and say
what it saw: how many containers were checked, and every one that fails or
could not be decided, by name, short id, image and state (DESIGN.md, "Results
say truthfully how a verdict was reached").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from dockscap import __version__
from dockscap.evaluator.results import ContainerVerdict, EngineScan, Verdict
from dockscap.evaluator.waivers import waiver_note
from dockscap.timestamps import xs_datetime

log = logging.getLogger(__name__)

# Characters XML 1.0 (section 2.2, Char) cannot hold, lone surrogates
# included. Listed as they are rather than as the complement of what it allows,
# which takes the re module milliseconds to compile on every run.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

FAILING_HEADING = "Writable root filesystem (HostConfig.ReadonlyRootfs is false):"
ERROR_HEADING = "Could not be decided:"


def xml_safe(text: str, what: str) -> str:
    """TEXT with the characters XML 1.0 forbids replaced by U+FFFD (and logged)."""
    cleaned, count = _NOT_XML.subn("\ufffd", text)
    if count:
        log.debug("replaced %d character(s) XML 1.0 forbids in %s", count, what)
    return cleaned


def how_checked(scan: EngineScan) -> str:
    """One sentence: which tool, which API, which engine, what was read."""
    engine = scan.engine
    api = f" {engine.api_version}" if engine.api_version else ""
    key = scan.rule.check.host_config_key
    listed = (
        "every container" if not scan.filters else "the containers the filters admit"
    )
    return (
        f"dockscap {__version__} read the Docker Engine API{api} at {engine.endpoint}: "
        f"GET /containers/json?all=1 listed {listed}, stopped and never "
        "started ones included, and GET /containers/{id}/json gave each "
        f"container's HostConfig.{key}."
    )


def describe(item: ContainerVerdict) -> str:
    """A container and, when it was not decided or is waived, why."""
    text: str = item.container.describe()
    if item.verdict is Verdict.ERROR:
        text += f": {item.reason}"
    note = waiver_note(item)
    if note:
        text += f"; {note}"
    return text


def evidence_text(scan: EngineScan) -> str:
    """The rule-result's message: counts, every failing and undecided container,
    the vanished ones, and how the check was made."""
    parts = [
        scan.message,
        _section(FAILING_HEADING, scan.with_verdict(Verdict.FAIL)),
        _section(ERROR_HEADING, scan.with_verdict(Verdict.ERROR)),
        _names("Removed between listing and inspection, not counted:", scan.vanished),
        _names("Only part of the engine was checked:", scan.filters),
        how_checked(scan),
        f"Scan from {xs_datetime(scan.started)} to {xs_datetime(scan.finished)}.",
    ]
    return "\n\n".join(part for part in parts if part)


def _section(heading: str, items: Sequence[ContainerVerdict]) -> str:
    if not items:
        return ""
    return "\n".join([heading, *(f"- {describe(item)}" for item in items)])


def _names(heading: str, names: Sequence[str]) -> str:
    if not names:
        return ""
    return "\n".join([heading, *(f"- {name}" for name in names)])
