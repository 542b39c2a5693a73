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
from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.engine import connect
from dockscap.evaluator.results import EngineScan, Verdict
from dockscap.evaluator.scan import scan
from dockscap.evaluator.summary import print_summary
from dockscap.evaluator.xccdf_results import render_xccdf_results
from dockscap.generator.content import load_benchmark
from dockscap.schemas import assert_valid
from rich.console import Console

from dockscap.output import write_atomically

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


FILE = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command(
    epilog="""\b
Examples:
  dockscap evaluate
  dockscap evaluate --host ssh://admin@docker01.example.mil --release V1R1
  DOCKER_HOST=tcp://docker01:2376 DOCKER_TLS_VERIFY=1 \\
    dockscap evaluate --results-arf out/docker01-arf.xml \\
                      --results out/docker01-xccdf.xml

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
# -- Checklists (CKL, CKLB) are added here -------------------------------------
def evaluate(
    host: str | None,
    release: str | None,
    content_dir: Path | None,
    results_arf: Path | None,
    results_xccdf: Path | None,
) -> None:
    """Check every container of a Docker engine against DKER-EE-002030.

    Lists every container (stopped and never-started ones too) through the
    Engine API, reads each one's HostConfig.ReadonlyRootfs, prints a summary
    and writes the results files asked for. Only GET requests are sent: the
    engine is never changed. Each results file is validated against its
    official schema first, and either all are written or none.
    """
    benchmark = load_benchmark(content_dir)
    chosen = benchmark.release(release)
    files = [
        ResultsFile(path, description, render)
        for path, description, render in (
            (results_arf, "ARF 1.1", _arf),
            (results_xccdf, "XCCDF 1.2 results", render_xccdf_results),
        )
        if path is not None
    ]

    with connect(host) as engine:
        result = scan(engine, benchmark, chosen)

    console = Console()
    print_summary(result, console)
    write_results(result, files)
    for file in files:
        console.print(f"Wrote {file.description}: {file.path}", markup=False)

    click.get_current_context().exit(EXIT_CODES[result.result])


def write_results(result: EngineScan, files: list[ResultsFile]) -> None:
    """Render, validate and write every file, all or none."""
    rendered = []
    for file in files:
        data = file.render(result)
        assert_valid(data, source=str(file.path))
        rendered.append((file.path, data))
    write_atomically(rendered)
    log.debug("wrote %d results file(s)", len(rendered))


def _arf(result: EngineScan) -> bytes:
    data: bytes = render_arf([result])
    return data
