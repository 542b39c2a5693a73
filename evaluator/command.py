"""`dockscap evaluate`: check a live Docker engine and write the results.

The command is thin: connect (evaluator.engine), scan (evaluator.scan), print
the summary (evaluator.summary), then render every requested results file,
validate each against its official schema, and write them all or none
(dockscap.output). The exit code is the rule's result for the host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console

from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.checklist_files import plan_checklists
from dockscap.evaluator.engine import connect
from dockscap.evaluator.filters import ContainerFilter
from dockscap.evaluator.json_output import render_json
from dockscap.evaluator.report import render_report
from dockscap.evaluator.results import EngineScan, Verdict
from dockscap.evaluator.scan import DEFAULT_RULE, scan
from dockscap.evaluator.summary import print_summary
from dockscap.evaluator.waivers import apply_waivers, load_waivers
from dockscap.evaluator.xccdf_results import render_xccdf_results
from dockscap.generator.content import load_benchmark
from dockscap.output import write_atomically
from dockscap.schemas import assert_valid

log = logging.getLogger(__name__)

# Exit codes (DESIGN.md): the rule's result for the host. An engine, content or
# file error also exits 1, through the CLI group.
EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 2, Verdict.ERROR: 1}


@dataclass(frozen=True)
class ResultsFile:
    """One file the run writes: where, what it is, and how it is rendered."""

    path: Path
    description: str
    render: Callable[[EngineScan], bytes]
    # The HTML report and the JSON results have no official schema: they
    # check themselves while rendering (evaluator/report.py, json_output.py).
    official_schema: bool = True


FILE = click.Path(dir_okay=False, writable=True, path_type=Path)
FILE_OR_DASH = click.Path(
    dir_okay=False, writable=True, allow_dash=True, path_type=Path
)
STDOUT = Path("-")


@click.command(
    epilog="""\b
Examples:
  dockscap evaluate
  dockscap evaluate --host ssh://admin@docker01.example.mil --release V1R1
  DOCKER_HOST=tcp://docker01:2376 DOCKER_TLS_VERIFY=1 \\
    dockscap evaluate --results-arf out/docker01-arf.xml \\
                      --results out/docker01-xccdf.xml
  dockscap evaluate --ckl out/docker01.ckl --cklb out/docker01.cklb \\
    --stig U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml
  dockscap evaluate --update-ckl docker01.ckl

\b
Exit codes:
  0  every container's root filesystem is read-only (pass; also with no
     containers)
  2  at least one container's root filesystem is writable (fail)
  1  error: the rule's result is error (some container's setting could not
     be read), or the engine, the content or a file could not be used
"""
)
# -- Which engine ---------------------------------------------------------
@click.option(
    "--host",
    "-H",
    metavar="URL",
    help=(
        "Engine to check: unix:///path, tcp://HOST:PORT or ssh://USER@HOST "
        "(default: DOCKER_HOST, else unix:///var/run/docker.sock). tcp:// "
        "honours DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI does."
    ),
)
# -- Which rule text and identifiers -------------------------------------------
@click.option(
    "--release",
    metavar="RELEASE",
    help="STIG release whose identifiers the results carry: V1R1, V2R1 or V2R2 "
    "(default: the newest).",
)
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder holding benchmark.yml and rules/ (default: dockscap's own).",
)
# -- SCAP results files ------------------------------------------------------
@click.option(
    "--results-arf",
    "results_arf",
    type=FILE,
    metavar="FILE",
    help="Write ARF 1.1 results: the data stream, the host as an asset, and "
    "the XCCDF 1.2 TestResult.",
)
@click.option(
    "--results",
    "results_xccdf",
    type=FILE,
    metavar="FILE",
    help="Write XCCDF 1.2 results (the Benchmark and one TestResult), as STIG "
    "Viewer and STIG Manager import them.",
)
# -- For people and pipelines --------------------------------------------------
@click.option(
    "--report",
    "report_html",
    type=FILE,
    metavar="FILE",
    help="Write a self-contained HTML report; it loads nothing and opens offline.",
)
@click.option(
    "--json",
    "results_json",
    type=FILE_OR_DASH,
    metavar="FILE",
    help="Write the results as JSON (schema_version 1, docs/json-output.md); "
    "'-' writes to standard output and the summary to standard error.",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="YAML list of approved exceptions (docs/cli.md). A waived container "
    "still fails the rule; its justification is recorded in every output.",
)
# -- Which containers ------------------------------------------------------------
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="KEY[=VALUE]",
    help="Check only containers with this label; repeated, all must match.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    metavar="PATTERN",
    help="Check only containers whose name matches this glob; repeated, any may.",
)
@click.option(
    "--exclude-label",
    "exclude_labels",
    multiple=True,
    metavar="KEY[=VALUE]",
    help="Leave out containers with this label (repeatable).",
)
@click.option(
    "--exclude-name",
    "exclude_names",
    multiple=True,
    metavar="PATTERN",
    help="Leave out containers whose name matches this glob (repeatable).",
)
# -- Checklists (CKL, CKLB) ------------------------------------------------------
@click.option(
    "--ckl",
    "ckl_file",
    type=FILE,
    metavar="FILE",
    help="Write a STIG Viewer 2 checklist (CKL) of the engine's host.",
)
@click.option(
    "--cklb",
    "cklb_file",
    type=FILE,
    metavar="FILE",
    help="Write a STIG Viewer 3 checklist (CKLB) of the engine's host.",
)
@click.option(
    "--stig",
    "stig_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    metavar="FILE",
    help="DISA's benchmark (U_..._Manual-xccdf.xml): --ckl and --cklb then list "
    "every rule of it, this one evaluated, and the release is taken from it.",
)
@click.option(
    "--update-ckl",
    "update_ckl",
    type=click.Path(dir_okay=False, exists=True, writable=True, path_type=Path),
    metavar="FILE",
    help="Write this rule's status and finding details into an existing CKL, in "
    "place, keeping everything else; its release is the one scanned for.",
)
@click.option(
    "--update-cklb",
    "update_cklb",
    type=click.Path(dir_okay=False, exists=True, writable=True, path_type=Path),
    metavar="FILE",
    help="The same for an existing CKLB.",
)
def evaluate(
    host: str | None,
    release: str | None,
    content_dir: Path | None,
    results_arf: Path | None,
    results_xccdf: Path | None,
    report_html: Path | None,
    results_json: Path | None,
    waivers_file: Path | None,
    labels: tuple[str, ...],
    names: tuple[str, ...],
    exclude_labels: tuple[str, ...],
    exclude_names: tuple[str, ...],
    ckl_file: Path | None,
    cklb_file: Path | None,
    stig_file: Path | None,
    update_ckl: Path | None,
    update_cklb: Path | None,
) -> None:
    """Check every container of a Docker engine against DKER-EE-002030.

    Lists every container (stopped and never-started ones too) through the
    Engine API, reads each one's HostConfig.ReadonlyRootfs, prints a summary
    and writes the results files asked for. Only GET requests are sent: the
    engine is never changed. Each results file is validated against its
    official schema first, and either all are written or none.
    """
    benchmark = load_benchmark(content_dir)
    # --stig and the checklists to update name their release: read before the scan.
    checklists = plan_checklists(
        benchmark,
        release=release,
        stig=stig_file,
        ckl_path=ckl_file,
        cklb_path=cklb_file,
        update_ckl=update_ckl,
        update_cklb=update_cklb,
    )
    chosen = checklists.release
    files = [
        ResultsFile(path, description, render)
        for path, description, render in (
            (results_arf, "ARF 1.1", _arf),
            (results_xccdf, "XCCDF 1.2 results", render_xccdf_results),
        )
        if path is not None
    ]
    files += [
        ResultsFile(path, description, render, official_schema=False)
        for path, description, render in (
            (report_html, "HTML report", _report),
            (results_json, "JSON results", _json),
        )
        if path is not None and path != STDOUT
    ]
    # Checklists check themselves while rendering (evaluator/ckl.py, cklb.py).
    files += [
        ResultsFile(file.path, file.description, file.render, official_schema=False)
        for file in checklists.files
    ]
    # Both are read before the engine is touched, so a mistake costs no scan.
    only = ContainerFilter.from_options(labels, names, exclude_labels, exclude_names)
    waivers = load_waivers(waivers_file) if waivers_file else ()

    with connect(host) as engine:
        scanned = scan(engine, benchmark, chosen, DEFAULT_RULE, only)
    result = apply_waivers(scanned, waivers)

    # With --json -, standard output holds the JSON alone.
    to_stdout = _json(result) if results_json == STDOUT else None
    # --quiet (on the dockscap group) leaves errors and the exit code only.
    quiet = bool(click.get_current_context().find_root().params.get("quiet"))
    console = Console(stderr=to_stdout is not None, quiet=quiet)
    print_summary(result, console)
    write_results(result, files)
    for file in files:
        console.print(
            f"Wrote {file.description}: {file.path}", markup=False, soft_wrap=True
        )
    if to_stdout is not None:
        click.echo(to_stdout, nl=False)  # bytes go to the binary stream as is

    click.get_current_context().exit(EXIT_CODES[result.result])


def write_results(result: EngineScan, files: list[ResultsFile]) -> None:
    """Render, validate and write every file, all or none."""
    rendered = []
    for file in files:
        data = file.render(result)
        if file.official_schema:
            assert_valid(data, source=str(file.path))
        rendered.append((file.path, data))
    write_atomically(rendered)
    log.debug("wrote %d results file(s)", len(rendered))


def _arf(result: EngineScan) -> bytes:
    data: bytes = render_arf([result])
    return data


def _report(result: EngineScan) -> bytes:
    data: bytes = render_report([result])
    return data


def _json(result: EngineScan) -> bytes:
    data: bytes = render_json([result])
    return data
