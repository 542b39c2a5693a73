"""`dockscap evaluate`: check live Docker engines and write the results.

The command is thin: read which engines to scan (evaluator.hosts), scan them,
several at once (evaluator.fleet), print the summary (evaluator.summary), then
render every requested results file, validate each against its official
schema, and write them all or none (dockscap.output).

What the writers need no scan for (importing them, compiling their templates
and schemas) is done on a thread of its own while the engines answer: it is
most of a run's fixed cost, and the scan leaves the interpreter idle while it
waits for the engine.

The writers and what they stand on (lxml trees of the data stream, xmlschema,
jsonschema, jinja2, rich) are imported only when a run needs them: a scan
that writes one XCCDF file never loads the HTML template engine, and one that
writes nothing loads no schema.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dockscap.errors import DockscapError, InputError
from dockscap.evaluator.engine import DEFAULT_TIMEOUT, connect
from dockscap.evaluator.filters import ContainerFilter
from dockscap.evaluator.fleet import (
    DEFAULT_PARALLEL,
    EngineOutcome,
    ProgressDisplay,
    run_verdict,
    scan_engines,
)
from dockscap.evaluator.hosts import (
    EngineTarget,
    NamePattern,
    Renamed,
    disambiguate,
    engine_targets,
)
from dockscap.evaluator.results import EngineScan, UnscannedEngine, Verdict
from dockscap.evaluator.scan import DEFAULT_RULE, ScanProgress, scan
from dockscap.generator.content import load_benchmark
from dockscap.generator.model import Benchmark, Release
from dockscap.output import write_atomically

if TYPE_CHECKING:
    from rich.console import Console

    from dockscap.evaluator.results import Waiver

log = logging.getLogger(__name__)

# Exit codes (DESIGN.md): the rule's result over the engines scanned. An engine,
# content or file error also exits 1, through the CLI group.
EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 2, Verdict.ERROR: 1}
# Several engines, and some could not be scanned: the files hold the others.
EXIT_INCOMPLETE = 3
# --timeout: at most a day; the socket layer cannot wait for ever (inf, 1e18).
MAX_TIMEOUT = 86_400.0

EngineRender = Callable[[EngineScan], bytes]
RunRender = Callable[[Sequence[EngineScan], Sequence[UnscannedEngine]], bytes]


@dataclass(frozen=True)
class Output:
    """A results file option: one file per engine, or one file for the run.

    Its writer is imported when the run needs it, so that a run pays only for
    the files it asks for. The HTML report, the JSON and the checklists check
    themselves while rendering (their modules say how); the others are
    validated here against their official schema.
    """

    name: NamePattern
    description: str
    official_schema: bool
    engine_writer: Callable[[], EngineRender] | None = None
    run_writer: Callable[[], RunRender] | None = None
    # The writer's work that needs no scan, such as compiling its templates
    # and schemas; cached, so that the render after it costs nothing more.
    preparation: Callable[[], None] | None = None

    @property
    def per_engine(self) -> bool:
        return self.engine_writer is not None

    def prepare(self) -> None:
        """Import the writer and do its preparation."""
        writer = self.engine_writer or self.run_writer
        if writer is not None:
            writer()
        if self.preparation is not None:
            self.preparation()


@dataclass(frozen=True)
class ResultsFile:
    """One file the run writes: where, what it is, and how its bytes are made."""

    path: Path
    description: str
    render: Callable[[], bytes]
    official_schema: bool = True


class OutputFile(click.Path):
    """A file to write; '-' is refused, since only --json can go to stdout.

    click.Path alone would take '-' as a file of that name in the current
    folder, which is never what a user typing it means.
    """

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if value == "-":
            self.fail(
                "'-' (standard output) is taken only by --json; name a file", param, ctx
            )
        return super().convert(value, param, ctx)


FILE = OutputFile(dir_okay=False, writable=True, path_type=Path)
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
  dockscap evaluate --hosts-file engines.txt --results-arf out/fleet-arf.xml \\
    --results 'out/{host}-xccdf.xml' --ckl 'out/{label}.ckl' --json out/fleet.json

\b
Several engines (--host repeated, --hosts-file):
  One ARF, HTML report and JSON hold every engine; --results, --ckl and
  --cklb write one file per engine, named by a pattern with {host} (the
  engine's host name), {label} (its label, else the host name) or {index}
  (its place in the list, from 1). Files whose names would clash get their
  engine's index before the suffix. An engine that cannot be scanned does
  not stop the others.

\b
Exit codes:
  0  every container's root filesystem is read-only (pass; also with no
     containers), on every engine
  2  at least one container's root filesystem is writable (fail)
  1  error: the rule's result is error (some container's setting could not
     be read, or the filters left no container to check), or the engine, the
     content or a file could not be used; with several engines, none could
     be scanned
  3  incomplete: with several engines, at least one could not be scanned
     (its error is on stderr); the files hold the others, whatever they found
  130  interrupted (Ctrl-C): each results file is complete or not there
"""
)
# -- Which engines --------------------------------------------------------
@click.option(
    "--host",
    "-H",
    "hosts",
    multiple=True,
    metavar="URL",
    help=(
        "Engine to check: unix:///path, tcp://HOST:PORT or ssh://USER@HOST "
        "(default: DOCKER_HOST, else unix:///var/run/docker.sock). tcp:// "
        "honours DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI does. "
        "Repeat it to check several engines."
    ),
)
@click.option(
    "--hosts-file",
    type=click.Path(dir_okay=False, exists=True, allow_dash=True, path_type=Path),
    metavar="FILE",
    help="Also check the engines FILE lists: one URL a line, then an optional "
    "label; '#' comments and blank lines are allowed ('-': standard input).",
)
@click.option(
    "--parallel",
    type=click.IntRange(min=1, max=64),
    default=DEFAULT_PARALLEL,
    show_default=True,
    metavar="N",
    help="Check at most N engines at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=MAX_TIMEOUT),
    callback=lambda _context, _option, value: _a_number(value),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for an engine to take the connection, and then for "
    "each part of its answers, before giving it up.",
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
    help="Write ARF 1.1 results: the data stream, each host as an asset, and "
    "each engine's XCCDF 1.2 TestResult.",
)
@click.option(
    "--results",
    "results_xccdf",
    type=FILE,
    metavar="FILE",
    help="Write XCCDF 1.2 results (the Benchmark and one TestResult), as STIG "
    "Viewer and STIG Manager import them; one file per engine.",
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
    help="Write a STIG Viewer 2 checklist (CKL) of each engine's host.",
)
@click.option(
    "--cklb",
    "cklb_file",
    type=FILE,
    metavar="FILE",
    help="Write a STIG Viewer 3 checklist (CKLB) of each engine's host.",
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
    "place, keeping everything else; its release is the one scanned for. One "
    "engine only.",
)
@click.option(
    "--update-cklb",
    "update_cklb",
    type=click.Path(dir_okay=False, exists=True, writable=True, path_type=Path),
    metavar="FILE",
    help="The same for an existing CKLB.",
)
def evaluate(
    hosts: tuple[str, ...],
    hosts_file: Path | None,
    parallel: int,
    timeout: float,
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
    """Check every container of Docker engines against DKER-EE-002030.

    Lists every container (stopped and never-started ones too) through the
    Engine API, reads each one's HostConfig.ReadonlyRootfs, prints a summary
    and writes the results files asked for. Only GET requests are sent: the
    engine is never changed. Each results file is validated against its
    official schema first, and either all are written or none.
    """
    # Everything a user handed in is read before any engine is touched, so
    # that a mistake costs no scan.
    targets = engine_targets(hosts, hosts_file)
    several = len(targets) > 1
    if several and (update_ckl or update_cklb):
        raise InputError(
            "--update-ckl and --update-cklb update the checklist of one host, but "
            f"{len(targets)} engines are named; write one checklist per engine "
            "instead, e.g. --ckl 'out/{host}.ckl'"
        )
    benchmark = load_benchmark(content_dir)
    chosen, checklists = _checklists(
        benchmark, release, stig_file, ckl_file, cklb_file, update_ckl, update_cklb
    )
    outputs = _outputs(
        results_arf, results_xccdf, report_html, results_json, benchmark, chosen
    )
    outputs += checklists
    _check_names(outputs, several)
    if results_json == STDOUT and sys.stdout is None:
        raise InputError("--json -: standard output is closed; name a file instead")
    only = ContainerFilter.from_options(labels, names, exclude_labels, exclude_names)
    waivers = _waivers(waivers_file)

    display = _progress_display(len(targets))
    with ThreadPoolExecutor(1, thread_name_prefix="prepare") as pool:
        # Not the summary's rich modules under a progress display, which is
        # importing rich's own on this thread.
        summary = display is None and not _quiet()
        prepared = pool.submit(_prepare, outputs, summary)
        outcomes = _scan(
            targets, benchmark, chosen, only, waivers, display, parallel, timeout
        )
    if not several and outcomes[0].error is not None:
        raise outcomes[0].error  # one engine: one Error line, exit 1, no file
    for outcome in outcomes:
        if outcome.error is not None:
            click.echo(f"Error: {outcome.error}", err=True)
    if all(outcome.scan is None for outcome in outcomes):
        raise DockscapError(
            f"none of the {len(outcomes)} engines could be scanned; "
            "no results file was written"
        )

    prepared.result()  # raises what kept a writer from being prepared
    files, renamed = _results_files(outputs, outcomes)
    # With --json -, standard output holds the JSON alone.
    to_stdout = _json_to_stdout(outcomes) if results_json == STDOUT else None
    console = _console(stderr=to_stdout is not None)
    # The evidence first: a reader that closes the pipe early (| head) must not
    # cost the results files.
    write_results(files)
    if console is not None:
        _print_summaries(outcomes, console)
        _print_written(files, renamed, console)
    if to_stdout is not None:
        _write_to_stdout(to_stdout)

    click.get_current_context().exit(exit_code(outcomes))


def exit_code(outcomes: Sequence[EngineOutcome]) -> int:
    """3 when an engine of several could not be scanned, else the rule's result."""
    if any(outcome.error is not None for outcome in outcomes):
        return EXIT_INCOMPLETE
    return EXIT_CODES[run_verdict(outcomes)]


def write_results(files: Sequence[ResultsFile]) -> None:
    """Render, validate and write every file, all or none."""
    rendered = []
    for file in files:
        data = file.render()
        if file.official_schema:
            from dockscap.schemas import assert_valid

            assert_valid(data, source=str(file.path))
        rendered.append((file.path, data))
    write_atomically(rendered)
    log.debug("wrote %d results file(s)", len(rendered))


# -- Before the scan -------------------------------------------------------------


def _checklists(
    benchmark: Benchmark,
    release: str | None,
    stig: Path | None,
    ckl: Path | None,
    cklb: Path | None,
    update_ckl: Path | None,
    update_cklb: Path | None,
) -> tuple[Release, list[Output]]:
    """The release to scan for, and the checklist outputs (which may name it)."""
    if not any((stig, ckl, cklb, update_ckl, update_cklb)):
        return benchmark.release(release), []

    from dockscap.evaluator.checklist_files import plan_checklists, prepare_writers

    # --stig and the checklists to update name their release: read before the scan.
    plan = plan_checklists(
        benchmark,
        release=release,
        stig=stig,
        ckl_path=ckl,
        cklb_path=cklb,
        update_ckl=update_ckl,
        update_cklb=update_cklb,
    )
    # The plan lists its files in the order of these options.
    options = [
        option
        for option, path in (
            ("--ckl", ckl),
            ("--cklb", cklb),
            ("--update-ckl", update_ckl),
            ("--update-cklb", update_cklb),
        )
        if path is not None
    ]
    outputs = [
        Output(
            NamePattern(option, str(file.path)),
            file.description,
            official_schema=False,
            engine_writer=_constant(file.render),
            preparation=prepare_writers,
        )
        for option, file in zip(options, plan.files, strict=True)
    ]
    return plan.release, outputs


def _outputs(
    arf: Path | None,
    xccdf: Path | None,
    report: Path | None,
    json: Path | None,
    benchmark: Benchmark,
    release: Release,
) -> list[Output]:
    outputs = []
    if arf is not None:
        name = NamePattern("--results-arf", str(arf))
        prepare = partial(_prepare_arf, benchmark, release)
        outputs.append(Output(name, "ARF 1.1", True, None, _arf, prepare))
    if xccdf is not None:
        name = NamePattern("--results", str(xccdf))
        prepare = partial(_prepare_xccdf, benchmark, release)
        outputs.append(Output(name, "XCCDF 1.2 results", True, _xccdf, None, prepare))
    # The HTML report and the JSON have no official schema: they check
    # themselves while rendering (evaluator/report.py, json_output.py).
    if report is not None:
        name = NamePattern("--report", str(report))
        outputs.append(Output(name, "HTML report", False, None, _report))
    if json is not None and json != STDOUT:
        name = NamePattern("--json", str(json))
        outputs.append(Output(name, "JSON results", False, None, _json))
    return outputs


def _check_names(outputs: Sequence[Output], several: bool) -> None:
    """Refuse, before the scan, file names that cannot work for these engines."""
    for output in outputs:
        uses = output.name.placeholders()
        if several and output.per_engine and not uses:
            raise InputError(
                f"{output.name.option} {output.name.pattern!r} names one file, but "
                "several engines are scanned: put {host}, {label} or {index} in it, "
                f"e.g. {_example(output.name.pattern)!r}"
            )
        if several and not output.per_engine and uses:
            raise InputError(
                f"{output.name.option} {output.name.pattern!r}: this file holds every "
                "engine of the run, so it takes no {host}, {label} or {index}"
            )

    fixed = [output.name for output in outputs if not output.name.placeholders()]
    seen: dict[Path, str] = {}
    for name in fixed:
        path = Path(name.pattern).resolve()
        if path in seen:
            raise InputError(
                f"{seen[path]} and {name.option} name the same file: {name.pattern}"
            )
        seen[path] = name.option


def _example(pattern: str) -> str:
    path = Path(pattern)
    return str(path.with_name(f"{{host}}-{path.name}"))


def _waivers(waivers_file: Path | None) -> tuple[Waiver, ...]:
    if waivers_file is None:
        return ()
    from dockscap.evaluator.waivers import load_waivers

    return tuple(load_waivers(waivers_file))


# -- The scan --------------------------------------------------------------------


def _prepare(outputs: Sequence[Output], summary: bool) -> None:
    """Everything the files and the summary need that the scan does not change."""
    for output in outputs:
        output.prepare()
    if summary:
        import dockscap.evaluator.fleet_summary
        import dockscap.evaluator.summary  # noqa: F401


def _a_number(value: float) -> float:
    """VALUE, unless it is NaN, which every range check lets through."""
    if math.isnan(value):
        raise click.BadParameter("nan is not a number of seconds.")
    return value


def _scan(
    targets: Sequence[EngineTarget],
    benchmark: Benchmark,
    release: Release,
    only: ContainerFilter,
    waivers: Sequence[Waiver],
    display: ProgressDisplay | None,
    parallel: int,
    timeout: float,
) -> list[EngineOutcome]:
    def scan_one(target: EngineTarget, progress: ScanProgress) -> EngineScan:
        with connect(target.endpoint, timeout=timeout) as engine:
            scanned = scan(engine, benchmark, release, DEFAULT_RULE, only, progress)
        if not waivers:
            return scanned
        from dockscap.evaluator.waivers import apply_waivers

        return apply_waivers(scanned, waivers)

    if display is None:
        return scan_engines(targets, scan_one, parallel=parallel)
    with display:
        return scan_engines(targets, scan_one, parallel=parallel, display=display)


def _progress_display(engines: int) -> ProgressDisplay | None:
    """A progress display on a terminal; none in a pipe, a log or a quiet run.

    Nor with -v or --debug, whose log lines go to the same terminal.
    """
    root = click.get_current_context().find_root().params
    if _quiet() or root.get("verbose") or root.get("debug"):
        return None
    # Standard error itself, not rich's is_terminal, which FORCE_COLOR (set by
    # many CI systems) turns on in a log; and rich loads only to draw.
    if sys.stderr is None or not sys.stderr.isatty():
        return None

    from rich.console import Console

    return ProgressDisplay(Console(stderr=True), engines)


# -- After the scan --------------------------------------------------------------


def _results_files(
    outputs: Sequence[Output], outcomes: Sequence[EngineOutcome]
) -> tuple[list[ResultsFile], list[Renamed]]:
    """Each output's files, named; clashing per-engine names get the engine's index."""
    scanned = [outcome for outcome in outcomes if outcome.scan is not None]
    unscanned = [outcome.unscanned() for outcome in outcomes if outcome.error]
    planned: list[tuple[Path, int | None, Output, Callable[[], bytes]]] = []
    for output in outputs:
        if output.engine_writer is not None:
            render = output.engine_writer()
            planned += [_engine_file(output, render, item) for item in scanned]
        elif output.run_writer is not None:
            planned.append(_run_file(output, output.run_writer(), scanned, unscanned))

    paths, renamed = disambiguate((path, index) for path, index, _, _ in planned)
    files = [
        ResultsFile(path, output.description, render, output.official_schema)
        for path, (_, _, output, render) in zip(paths, planned, strict=True)
    ]
    return files, renamed


def _engine_file(
    output: Output, render: EngineRender, outcome: EngineOutcome
) -> tuple[Path, int | None, Output, Callable[[], bytes]]:
    scanned = outcome.scan
    assert scanned is not None
    target = outcome.target
    path = output.name.expand(scanned.engine.name, target.label, target.index)
    return path, target.index, output, lambda: render(scanned)


def _run_file(
    output: Output,
    render: RunRender,
    scanned: Sequence[EngineOutcome],
    unscanned: Sequence[UnscannedEngine],
) -> tuple[Path, int | None, Output, Callable[[], bytes]]:
    scans = [outcome.scan for outcome in scanned if outcome.scan is not None]
    # Placeholders reach here with one engine only (_check_names).
    first = scanned[0].target
    path = output.name.expand(scans[0].engine.name, first.label, first.index)
    return path, None, output, lambda: render(scans, unscanned)


def _write_to_stdout(data: bytes) -> None:
    """The JSON results on standard output; a stdout that fails is an error."""
    stream = sys.stdout.buffer
    try:
        stream.write(data)
        stream.flush()
    except OSError as error:
        # The files of the run are written already, complete; only this is lost.
        reason = "the reader closed it" if isinstance(error, BrokenPipeError) else None
        raise DockscapError(
            "cannot write the JSON results to standard output: "
            f"{reason or error.strerror or error}"
        ) from error


def _json_to_stdout(outcomes: Sequence[EngineOutcome]) -> bytes:
    scans = [outcome.scan for outcome in outcomes if outcome.scan is not None]
    unscanned = [outcome.unscanned() for outcome in outcomes if outcome.error]
    return _json()(scans, unscanned)


def _console(stderr: bool) -> Console | None:
    """Where the summary goes; None with --quiet, which leaves errors and the
    exit code only (and spares loading rich)."""
    if _quiet():
        return None
    from dockscap.evaluator.summary import SummaryConsole

    # No highlighting: rich would colour the numbers in "ARF 1.1" and in
    # container names as if they meant something.
    return SummaryConsole(stderr=stderr, highlight=False)


def _quiet() -> bool:
    return bool(click.get_current_context().find_root().params.get("quiet"))


def _print_summaries(outcomes: Sequence[EngineOutcome], console: Console) -> None:
    from dockscap.evaluator.fleet_summary import print_engines, print_heading
    from dockscap.evaluator.summary import print_summary

    several = len(outcomes) > 1
    for outcome in outcomes:
        if outcome.scan is None:
            continue
        if several:
            print_heading(outcome, len(outcomes), console)
        print_summary(outcome.scan, console)
    if several:
        print_engines(outcomes, console)


def _print_written(
    files: Sequence[ResultsFile], renamed: Sequence[Renamed], console: Console
) -> None:
    from rich.text import Text

    for wanted in sorted({item.wanted for item in renamed}):
        given = [item for item in renamed if item.wanted == wanted]
        engines = _and([str(item.index) for item in given])
        names = _and([str(item.given) for item in given])
        console.print(
            Text(f"Renamed: engines {engines} would all write {wanted}; ")
            + Text(f"wrote {names} instead"),
            soft_wrap=True,
        )
    for file in files:
        console.print(
            f"Wrote {file.description}: {file.path}", markup=False, soft_wrap=True
        )


def _and(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


# -- Writers, imported when a run asks for their file ------------------------------


def _constant(render: EngineRender) -> Callable[[], EngineRender]:
    return lambda: render


def _arf() -> RunRender:
    from dockscap.evaluator.arf import render_arf

    return render_arf


def _xccdf() -> EngineRender:
    from dockscap.evaluator.xccdf_results import render_xccdf_results

    return render_xccdf_results


def _prepare_arf(benchmark: Benchmark, release: Release) -> None:
    from dockscap.generator.build import datastream_tree
    from dockscap.schemas import prepare

    # The ARF carries this data stream, so its schemas (SCAP 1.3, with the
    # OVAL platforms the content uses) are the ARF's.
    prepare(datastream_tree(benchmark, release))


def _prepare_xccdf(benchmark: Benchmark, release: Release) -> None:
    from dockscap.generator.build import xccdf_benchmark_tree
    from dockscap.schemas import prepare

    prepare(xccdf_benchmark_tree(benchmark, release, engine_api_check=True))


def _report() -> RunRender:
    from dockscap.evaluator.report import render_report

    return render_report


def _json() -> RunRender:
    from dockscap.evaluator.json_output import render_json

    return render_json
