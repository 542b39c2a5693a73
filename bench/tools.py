"""The four ways the benchmark checks the rule, and how each one's answer is read.

Every tool's verdict is read from what it printed or wrote, independently of
the others, so that the benchmark can check that all four agree:

- dockscap: its exit code (2 is fail), the counts on its summary's
  "Containers checked" line, and the rule-result of the XCCDF results it wrote;
- the STIG's procedure: one `...: ReadonlyRootfs=true|false` line a container;
- a single `docker inspect`: HostConfig.ReadonlyRootfs in its JSON;
- `oscap xccdf eval`: the rule-result in its XCCDF results and its exit code
  (2 is fail). OpenSCAP reports one result for the host, no counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

STIG_PROCEDURE = (
    "docker ps --quiet --all | xargs -L 1 docker inspect "
    "--format '{{ .Id }}: ReadonlyRootfs={{ .HostConfig.ReadonlyRootfs }}'"
)
# The ids go to one docker process on its command line: 13 bytes a container,
# so this fits the 2 MiB ARG_MAX of Linux up to about 150,000 containers.
SINGLE_INSPECT = "docker inspect $(docker ps --quiet --all)"

XCCDF12 = "http://checklists.nist.gov/xccdf/1.2"
STIG_LINE = re.compile(r"([0-9a-f]{64}): ReadonlyRootfs=(.*)")
COUNTS_LINE = re.compile(
    r"Containers\s+checked:\s+(\d+)\s+\((\d+)\s+read-only,\s+(\d+)\s+writable,"
    r"\s+(\d+)\s+undetermined\)"
)
# Exit codes that mean a rule result, for the tools that have them.
DOCKSCAP_EXIT = {0: "pass", 2: "fail", 1: "error"}
OSCAP_EXIT = {0: "pass", 2: "fail"}
CKL_STATUS = {"pass": "NotAFinding", "fail": "Open", "error": "Not_Reviewed"}


@dataclass(frozen=True)
class Finding:
    """What a tool said: the rule's result for the host and, where told, counts."""

    result: str
    read_only: int | None = None
    writable: int | None = None
    problems: tuple[str, ...] = ()

    def describe(self) -> str:
        counts = (
            f" ({self.read_only} read-only, {self.writable} writable)"
            if self.read_only is not None
            else ""
        )
        return f"{self.result}{counts}"


def host_result(read_only: int, writable: int, other: int) -> str:
    """The rule's result for a host from per-container counts (DESIGN.md)."""
    if writable:
        return "fail"
    return "error" if other else "pass"


@dataclass(frozen=True)
class GeneratedContent:
    """dockscap's data stream, and a tailoring file for the engine's data root."""

    datastream: Path
    tailoring: Path


@dataclass(frozen=True)
class Run:
    """One finished run of a tool: where its output went and how it exited."""

    exit_code: int
    stdout: Path
    folder: Path


@dataclass(frozen=True)
class Tool:
    """A command the benchmark times, and how to read its verdict."""

    key: str
    label: str
    command: list[str]
    read: Callable[[Run], Finding]
    folder: Path
    environment: Mapping[str, str] = field(default_factory=dict)


def dockscap_tool(
    dockscap: Path, url: str, folder: Path, ckl: bool, release: str | None
) -> Tool:
    """`dockscap evaluate` writing ARF, XCCDF results and (when it can) a CKL."""
    command = [str(dockscap), "evaluate", "--host", url]
    command += ["--results-arf", str(folder / "arf.xml")]
    command += ["--results", str(folder / "xccdf-results.xml")]
    command += ["--ckl", str(folder / "checklist.ckl")] if ckl else []
    command += ["--release", release] if release else []
    label = "dockscap evaluate: ARF, XCCDF" + (", CKL" if ckl else "")
    return Tool("dockscap", label, command, read_dockscap, folder)


def stig_tool(url: str, folder: Path) -> Tool:
    return Tool(
        "stig",
        "STIG procedure: xargs -L 1",
        ["sh", "-c", STIG_PROCEDURE],
        read_stig_lines,
        folder,
        environment={"DOCKER_HOST": url},
    )


def inspect_tool(url: str, folder: Path) -> Tool:
    return Tool(
        "inspect",
        "docker inspect, one call",
        ["sh", "-c", SINGLE_INSPECT],
        read_inspect_json,
        folder,
        environment={"DOCKER_HOST": url},
    )


def oscap_tool(content: GeneratedContent, folder: Path) -> Tool:
    """`oscap xccdf eval` of the generated data stream, tailored to the data root."""
    results = folder / "oscap-results.xml"
    command = [
        "oscap",
        "xccdf",
        "eval",
        "--profile",
        first_profile(content.tailoring),
        "--tailoring-file",
        str(content.tailoring),
        "--results",
        str(results),
        str(content.datastream),
    ]
    return Tool("oscap", "oscap xccdf eval", command, read_oscap, folder)


def first_profile(tailoring: Path) -> str:
    """The id of the tailoring file's first profile (all set the same data root)."""
    tree = etree.parse(str(tailoring))
    ids = tree.xpath("//x:Profile/@id", namespaces={"x": XCCDF12})
    if not ids:
        raise ValueError(f"{tailoring} holds no XCCDF Profile")
    return str(ids[0])


def read_dockscap(run: Run) -> Finding:
    problems: list[str] = []
    result = DOCKSCAP_EXIT.get(run.exit_code, f"exit code {run.exit_code}")

    text = run.stdout.read_text(errors="replace")
    counts = COUNTS_LINE.search(text)
    if counts is None:
        problems.append("no 'Containers checked' line in its output")
        read_only = writable = None
    else:
        read_only, writable = int(counts.group(2)), int(counts.group(3))
        stated = host_result(read_only, writable, int(counts.group(4)))
        if stated != result:
            problems.append(f"its counts say {stated}, its exit code {result}")

    problems += _written_results(run.folder, result)
    return Finding(result, read_only, writable, tuple(problems))


def _written_results(folder: Path, result: str) -> list[str]:
    """Whether the XCCDF results (and the CKL, when asked for) say RESULT too."""
    problems: list[str] = []
    if not (folder / "arf.xml").is_file():
        problems.append("it wrote no ARF")
    xccdf = folder / "xccdf-results.xml"
    if not xccdf.is_file():
        return [*problems, "it wrote no XCCDF results"]
    if (written := rule_results(xccdf)) != [result]:
        problems.append(f"its XCCDF results say {written}")

    checklist = folder / "checklist.ckl"
    if checklist.is_file():
        statuses = etree.parse(str(checklist)).xpath("//VULN/STATUS/text()")
        if [str(status) for status in statuses] != [CKL_STATUS.get(result)]:
            problems.append(f"its CKL says {statuses}")
    return problems


def read_stig_lines(run: Run) -> Finding:
    values = [match.group(2) for match in _stig_matches(run.stdout)]
    read_only = values.count("true")
    writable = values.count("false")
    other = len(values) - read_only - writable
    problems = [f"{other} line(s) neither true nor false"] if other else []
    if run.exit_code != 0:
        problems.append(f"exit code {run.exit_code}")
    result = host_result(read_only, writable, other)
    return Finding(result, read_only, writable, tuple(problems))


def _stig_matches(path: Path) -> list[re.Match[str]]:
    with path.open(errors="replace") as lines:
        return [m for line in lines if (m := STIG_LINE.fullmatch(line.strip()))]


def read_inspect_json(run: Run) -> Finding:
    documents = list(_json_arrays(run.stdout.read_text()))
    settings = [_readonly_rootfs(document) for document in documents]
    read_only = sum(1 for value in settings if value is True)
    writable = sum(1 for value in settings if value is False)
    other = len(settings) - read_only - writable
    problems = [f"{other} document(s) without a boolean"] if other else []
    if run.exit_code != 0:
        problems.append(f"exit code {run.exit_code}")
    result = host_result(read_only, writable, other)
    return Finding(result, read_only, writable, tuple(problems))


def _json_arrays(text: str) -> list[Any]:
    """Every document of one or more JSON arrays written one after another."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    while (position := _skip_space(text, position)) < len(text):
        array, position = decoder.raw_decode(text, position)
        documents.extend(array if isinstance(array, list) else [array])
    return documents


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _readonly_rootfs(document: Any) -> object:
    host_config = document.get("HostConfig") if isinstance(document, dict) else None
    return host_config.get("ReadonlyRootfs") if isinstance(host_config, dict) else None


def read_oscap(run: Run) -> Finding:
    problems: list[str] = []
    result = OSCAP_EXIT.get(run.exit_code, f"exit code {run.exit_code}")

    results = run.folder / "oscap-results.xml"
    if results.is_file():
        written = rule_results(results)
        if written != [result]:
            problems.append(f"its XCCDF results say {written}")
    else:
        problems.append("it wrote no results")
    return Finding(result, problems=tuple(problems))


def rule_results(path: Path) -> list[str]:
    """The result of every rule-result in an XCCDF 1.2 results file."""
    tree = etree.parse(str(path))
    found = tree.xpath("//x:rule-result/x:result/text()", namespaces={"x": XCCDF12})
    return [str(value) for value in found]


def disagreements(expected: Finding, findings: Mapping[str, Finding]) -> list[str]:
    """Every way a tool's finding differs from what the engine holds."""
    found: list[str] = []
    for key, finding in findings.items():
        found += [f"{key}: {problem}" for problem in finding.problems]
        if finding.result != expected.result:
            found.append(f"{key}: {finding.result}, expected {expected.result}")
        if finding.read_only is not None and (
            (finding.read_only, finding.writable)
            != (expected.read_only, expected.writable)
        ):
            found.append(f"{key}: {finding.describe()}, expected {expected.describe()}")
    return found
