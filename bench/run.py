"""Benchmark `dockscap evaluate` against the STIG's procedure, docker inspect and oscap.

    .venv/bin/python bench/run.py [--sizes 100,1000,5000] [--rounds 3]
                                  [--engine bench] [--tools dockscap,inspect,...]

On a private engine (scripts/private_engine.py; started here if it is not
running, and then stopped again) the engine is given N containers, half with
a read-only root filesystem, for each size N. Every tool then runs once
untimed, to warm caches (not the STIG procedure: its thousands of docker
processes warm up within the run), and ROUNDS times timed, in turn, the order
rotating each round so that drift in the machine's load hits every tool
alike. Each run is timed as a whole process tree (measure.py) and its verdict
read from its own output (tools.py). dockscap's warm-up run goes through a
recording relay (audit.py) that shows what it asks the engine.

The tables give medians with min-max, and dockscap's median wall time divided
by each other tool's. The exit code is 1 when any tool's verdict, on any run,
differs from what the engine holds, or when dockscap's requests break the
rules (anything but GET; a listing that asks for sizes); 2 when the benchmark
cannot run (content not generated, a foreign container on the engine).
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from audit import Audit, RequestRecorder, audit
from measure import Sample, measure
from population import ForeignContainers, Population, populate, size_order
from rich.console import Console
from rich.table import Table
from tools import (
    Finding,
    GeneratedContent,
    Run,
    Tool,
    disagreements,
    dockscap_tool,
    inspect_tool,
    oscap_tool,
    stig_tool,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from private_engine import PrivateEngine  # noqa: E402

BIN = Path(sys.executable).parent
TOOLS = ("dockscap", "inspect", "stig", "oscap")
# dockscap's packages (pyproject.toml, tool.setuptools).
PACKAGES = ("dockscap", "dockscap.generator", "dockscap.evaluator", "dockscap.schemas")
RUN_TIMEOUT = 3600.0

# The targets (issue 6, Targets).
TARGET_SIZE = 1000
MAX_RATIO_TO_INSPECT = 1.0
MIN_SPEEDUP_OVER_STIG = 20.0
MEMORY_SIZE = 10_000
MAX_PEAK_MIB = 150.0
# Linear growth: the cost of one more container, between consecutive sizes,
# may vary by this factor before the growth is called more than linear.
MAX_MARGINAL_SPREAD = 1.5
# Below this size the scan runs in the shadow of dockscap's fixed start (the
# writers are prepared on a thread while the engines answer), so the wall
# time hardly moves with N; growth is judged on the segments from here up.
LINEAR_FROM = 1000

# Wide enough for the tables when the output goes to a file.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


@dataclass
class ToolResult:
    """Every timed sample of one tool at one size, and its last finding."""

    label: str
    command: list[str]
    samples: list[Sample] = field(default_factory=list)
    finding: Finding | None = None

    def values(self, what: str) -> list[float]:
        return [float(getattr(sample, what)) for sample in self.samples]

    def median(self, what: str) -> float:
        return statistics.median(self.values(what))

    def spread(self, what: str) -> tuple[float, float]:
        return min(self.values(what)), max(self.values(what))


@dataclass
class SizeResult:
    """One size: what the engine held, each tool's runs, and what went wrong."""

    size: int
    expected: Finding
    tools: dict[str, ToolResult]
    load_before: str
    load_after: str = ""
    audit: Audit | None = None
    disagreements: list[str] = field(default_factory=list)

    def ratio(self, other: str) -> float | None:
        """dockscap's median wall time divided by OTHER's."""
        if "dockscap" not in self.tools or other not in self.tools:
            return None
        return self.tools["dockscap"].median("wall") / self.tools[other].median("wall")

    @property
    def problems(self) -> list[str]:
        found = list(self.disagreements)
        if self.audit is not None:
            found += [f"dockscap's requests: {p}" for p in self.audit.problems]
        return found


class BenchError(Exception):
    """The benchmark cannot run: a tool or the content is missing or broken."""


@dataclass(frozen=True)
class Target:
    text: str
    met: bool | None
    figure: str


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    engine = PrivateEngine(arguments.engine)
    started = engine.start()
    try:
        return benchmark(engine, arguments)
    except (BenchError, ForeignContainers) as error:
        console.print(f"bench: {error}", style="bold red", markup=False)
        return 2
    finally:
        if started:
            engine.stop()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="See the README, section Benchmark.",
    )
    parser.add_argument(
        "--sizes",
        type=_numbers,
        default=[100, 1000, 5000],
        help="numbers of containers, comma-separated (default: 100,1000,5000)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed runs of each tool (default: 3)"
    )
    parser.add_argument(
        "--engine", default="bench", help="private engine's name (default: bench)"
    )
    parser.add_argument(
        "--tools",
        type=_names,
        default=list(TOOLS),
        help=f"which tools, comma-separated (default: {','.join(TOOLS)})",
    )
    parser.add_argument("--release", help="STIG release (default: the newest)")
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="no warm-up runs"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench",
        help="folder for content and outputs (default: build/bench)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--markdown", type=Path, help="also write the tables here, in Markdown"
    )
    arguments = parser.parse_args(argv)

    unknown = sorted(set(arguments.tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tool(s) {unknown}; choose from {list(TOOLS)}")
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    return arguments


def _numbers(text: str) -> list[int]:
    return sorted({int(part.replace("_", "")) for part in text.split(",") if part})


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def benchmark(engine: PrivateEngine, arguments: argparse.Namespace) -> int:
    folder: Path = arguments.out.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    facts = machine_facts(engine)
    _print_facts(facts)
    content = None
    if "oscap" in arguments.tools:
        content = generate_content(folder / "content", engine, arguments.release)

    with engine.client() as client:
        sizes = size_order(client.api, arguments.sizes)
    results = []
    for size in sizes:
        with engine.client(timeout=300) as client:
            image = engine.ensure_image(client)
            population = populate(client.api, image, size, _progress)
        tools = make_tools(arguments, engine, content, folder / "runs" / str(size))
        results.append(run_size(population, tools, engine, arguments))

    results.sort(key=lambda result: result.size)
    targets = check_targets(results)
    print_tables(results, targets)
    if arguments.json:
        write_json(arguments.json, facts, results, targets)
    if arguments.markdown:
        arguments.markdown.write_text(markdown(facts, results, targets))
    return 1 if any(result.problems for result in results) else 0


def compile_bytecode() -> None:
    """Compile dockscap's modules to bytecode, as installing its wheel does.

    `make` installs dockscap editable, from the source folders, and where
    PYTHONDONTWRITEBYTECODE is set no run leaves bytecode behind: each would
    compile dockscap's 10,000 lines again (about 0.1 s here), which no
    installed dockscap does. Bytecode older than its source is ignored.
    """
    for package in PACKAGES:
        folder = Path(importlib.import_module(package).__path__[0])
        if not compileall.compile_dir(folder, quiet=1):
            raise SystemExit(f"cannot compile {package} in {folder}")


def _progress(message: str) -> None:
    console.print(message, style="dim", markup=False)


def machine_facts(engine: PrivateEngine) -> dict[str, str]:
    """What the figures were measured on: CPUs, memory, load and versions."""
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    with engine.client() as client:
        engine_version = client.version().get("Version", "unknown")
    return {
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": models[0] if models else platform.processor() or "unknown",
        "memory": f"{memory_kib / 1024**2:.1f} GiB",
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "dockscap": _output([str(BIN / "dockscap"), "--version"]),
        "docker CLI": _output(["docker", "--version"]),
        "docker engine": f"{engine_version}, private engine {engine.url}",
        "oscap": _output(["oscap", "--version"]).splitlines()[0],
        "load average at start": _load(),
    }


def _output(command: list[str]) -> str:
    try:
        answer = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        return f"not available ({error.strerror})"
    return answer.stdout.strip() or "unknown"


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _print_facts(facts: dict[str, str]) -> None:
    for key, value in facts.items():
        console.print(f"{key:>22}: {value}", markup=False)
    console.print()


def generate_content(
    folder: Path, engine: PrivateEngine, release: str | None
) -> GeneratedContent:
    """Run `dockscap generate` with the engine's data root, for oscap."""
    command = [str(BIN / "dockscap"), "generate", "--out", str(folder)]
    command += ["--data-root", str(engine.data_root)]
    command += ["--release", release] if release else []
    answer = subprocess.run(command, capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        raise BenchError(f"dockscap generate failed: {answer.stderr.strip()}")
    return GeneratedContent(
        datastream=_one(folder.glob("*-ds.xml")),
        tailoring=_one(folder.glob("*-tailoring.xml")),
    )


def _one(paths: Iterable[Path]) -> Path:
    found = sorted(paths)
    if len(found) != 1:
        raise RuntimeError(f"expected one generated file, found {found}")
    return found[0]


def make_tools(
    arguments: argparse.Namespace,
    engine: PrivateEngine,
    content: GeneratedContent | None,
    folder: Path,
) -> list[Tool]:
    """The chosen tools, each writing into its own folder under FOLDER."""
    makers: dict[str, Callable[[Path], Tool]] = {
        "dockscap": lambda place: dockscap_tool(
            BIN / "dockscap", engine.url, place, has_ckl_option(), arguments.release
        ),
        "inspect": lambda place: inspect_tool(engine.url, place),
        "stig": lambda place: stig_tool(engine.url, place),
        "oscap": lambda place: oscap_tool(_need(content), place),
    }
    return [makers[key](folder / key) for key in TOOLS if key in arguments.tools]


def _need(content: GeneratedContent | None) -> GeneratedContent:
    if content is None:
        raise BenchError("no content was generated for oscap")
    return content


def has_ckl_option() -> bool:
    """Whether `dockscap evaluate` can write a CKL yet (another change adds it)."""
    return "--ckl" in _output([str(BIN / "dockscap"), "evaluate", "--help"])


def run_size(
    population: Population,
    tools: list[Tool],
    engine: PrivateEngine,
    arguments: argparse.Namespace,
) -> SizeResult:
    """Warm up, record dockscap's requests, then time ROUNDS rounds in turn."""
    expected = Finding(
        "fail" if population.writable else "pass",
        population.read_only,
        population.writable,
    )
    result = SizeResult(
        population.size,
        expected,
        {tool.key: ToolResult(tool.label, tool.command) for tool in tools},
        load_before=_load(),
    )
    console.print(
        f"N = {population.size}: {expected.describe()}; load {result.load_before}",
        style="bold",
        markup=False,
    )

    warm_up(tools, engine, result, arguments.warmup)
    for number in range(1, arguments.rounds + 1):
        turn = (number - 1) % len(tools)
        for tool in tools[turn:] + tools[:turn]:
            _time_once(tool, result, number)

    result.load_after = _load()
    return result


def warm_up(
    tools: list[Tool], engine: PrivateEngine, result: SizeResult, warmup: bool
) -> None:
    """Untimed runs; dockscap's goes through the relay even without warm-up."""
    for tool in tools:
        if tool.key == "dockscap":
            result.audit = audit_requests(tool, engine)
            _progress(f"  dockscap's requests: {_describe_audit(result.audit)}")
        elif warmup and tool.key != "stig":
            _run(tool)


def _time_once(tool: Tool, result: SizeResult, number: int) -> None:
    sample, finding = _run(tool)
    record = result.tools[tool.key]
    record.samples.append(sample)
    record.finding = finding

    problems = disagreements(result.expected, {tool.key: finding})
    result.disagreements += [f"round {number}, {problem}" for problem in problems]
    _progress(
        f"  round {number} {tool.key}: {sample.wall:.2f} s wall, "
        f"{sample.cpu:.2f} s CPU, {sample.peak_mib:.0f} MiB, {finding.describe()}"
        + (f" - {'; '.join(problems)}" if problems else "")
    )


def audit_requests(tool: Tool, engine: PrivateEngine) -> Audit:
    """One untimed dockscap run through the recording relay."""
    tool.folder.mkdir(parents=True, exist_ok=True)
    recorder = RequestRecorder(engine.socket, tool.folder.parent / "relay.sock")
    command = [recorder.url if part == engine.url else part for part in tool.command]
    with recorder:
        _run(Tool(tool.key, tool.label, command, tool.read, tool.folder))
    return audit(recorder.requests)


def _describe_audit(found: Audit) -> str:
    listing = found.listings[0] if found.listings else "none"
    verdict = "; ".join(found.problems) or "only GET, no sizes asked"
    return f"{found.requests} requests, listing {listing}: {verdict}"


def _run(tool: Tool) -> tuple[Sample, Finding]:
    """One run of TOOL, after removing whatever an earlier run wrote."""
    tool.folder.mkdir(parents=True, exist_ok=True)
    for path in tool.folder.iterdir():
        if path.is_file():
            path.unlink()

    stdout, stderr = tool.folder / "stdout.txt", tool.folder / "stderr.txt"
    sample = measure(tool.command, tool.environment, stdout, stderr, RUN_TIMEOUT)
    return sample, tool.read(Run(sample.exit_code, stdout, tool.folder))


def check_targets(results: list[SizeResult]) -> list[Target]:
    """The issue's targets, as far as this run measured them."""
    by_size = {result.size: result for result in results}
    at_target = by_size.get(TARGET_SIZE)
    targets = []

    ratio = at_target.ratio("inspect") if at_target else None
    targets.append(
        Target(
            f"N={TARGET_SIZE}: dockscap <= {MAX_RATIO_TO_INSPECT}x single inspect",
            None if ratio is None else ratio <= MAX_RATIO_TO_INSPECT,
            "not measured" if ratio is None else f"{ratio:.2f}x",
        )
    )
    ratio = at_target.ratio("stig") if at_target else None
    targets.append(
        Target(
            f"N={TARGET_SIZE}: dockscap >= {MIN_SPEEDUP_OVER_STIG:.0f}x faster "
            "than the STIG procedure",
            None if ratio is None else 1 / ratio >= MIN_SPEEDUP_OVER_STIG,
            "not measured" if ratio is None else f"{1 / ratio:.1f}x faster",
        )
    )
    targets.append(_linear_growth(results))
    targets.append(_peak_memory(by_size.get(MEMORY_SIZE)))
    targets.append(_no_sizes(results))
    return targets


def _linear_growth(results: list[SizeResult]) -> Target:
    """The time one more container costs, between consecutive sizes."""
    points = [
        (result.size, result.tools["dockscap"].median("wall"))
        for result in results
        if "dockscap" in result.tools
    ]
    segments = [
        (n1, n2, (t2 - t1) / (n2 - n1) * 1000)
        for (n1, t1), (n2, t2) in zip(points, points[1:], strict=False)
    ]
    figure = ", ".join(f"{n1}->{n2}: {cost:.2f}" for n1, n2, cost in segments)
    figure = f"ms per added container {figure or 'not measured'}"
    text = f"dockscap's time grows linearly with N (from N={LINEAR_FROM})"

    judged = [cost for n1, _, cost in segments if n1 >= LINEAR_FROM]
    if len(judged) < 2:
        return Target(
            text, None, f"{figure}; needs three sizes of {LINEAR_FROM} or more"
        )
    if min(judged) <= 0:
        return Target(text, None, f"{figure}; a larger N took no longer")
    return Target(text, max(judged) / min(judged) <= MAX_MARGINAL_SPREAD, figure)


def _peak_memory(result: SizeResult | None) -> Target:
    text = f"N={MEMORY_SIZE}: dockscap's peak memory < {MAX_PEAK_MIB:.0f} MiB"
    if result is None or "dockscap" not in result.tools:
        return Target(text, None, "not measured")
    peak = max(sample.peak_mib for sample in result.tools["dockscap"].samples)
    return Target(text, peak < MAX_PEAK_MIB, f"{peak:.0f} MiB (largest run)")


def _no_sizes(results: list[SizeResult]) -> Target:
    audits = [result.audit for result in results if result.audit is not None]
    text = "dockscap's listing never asks for container sizes"
    if not audits:
        return Target(text, None, "not measured")
    bad = [problem for found in audits for problem in found.problems]
    listings = sorted({listing for found in audits for listing in found.listings})
    return Target(text, not bad, "; ".join(bad) or ", ".join(listings))


HEADERS = (
    "tool",
    "wall s, median (min-max)",
    "CPU s",
    "peak MiB, median (min-max)",
    "dockscap / tool",
    "verdict",
)


def print_tables(results: list[SizeResult], targets: list[Target]) -> None:
    for result in results:
        console.print()
        table = Table(title=_title(result), title_justify="left")
        for index, header in enumerate(HEADERS):
            table.add_column(header, justify="right" if 0 < index < 5 else "left")
        for row in _rows(result):
            table.add_row(*row)
        console.print(table)
        for problem in result.problems:
            console.print(f"DISAGREEMENT: {problem}", style="bold red", markup=False)

    console.print()
    targets_table = Table(title="Targets (issue 6)", title_justify="left")
    for column in ("target", "measured", "met"):
        targets_table.add_column(column)
    for target in targets:
        targets_table.add_row(target.text, target.figure, _met(target))
    console.print(targets_table)

    console.print(f"\nCommands timed (at N = {results[-1].size}):")
    for key, tool in results[-1].tools.items():
        console.print(f"  {key}: {shlex.join(tool.command)}", markup=False)
    agree = not any(result.problems for result in results)
    console.print(
        "All tools reached the same verdict on every run."
        if agree
        else "The tools DISAGREE (see above).",
        style="bold green" if agree else "bold red",
    )


def _title(result: SizeResult) -> str:
    rounds = max(len(tool.samples) for tool in result.tools.values())
    return (
        f"N = {result.size} containers: {result.expected.read_only} read-only, "
        f"{result.expected.writable} writable; "
        f"{rounds} round(s); load average {result.load_before} -> {result.load_after}"
    )


def _rows(result: SizeResult) -> list[list[str]]:
    rows = []
    for key, tool in result.tools.items():
        ratio = result.ratio(key)
        rows.append(
            [
                tool.label,
                _median_spread(tool, "wall", "{:.2f}"),
                f"{tool.median('cpu'):.2f}",
                _median_spread(tool, "peak_mib", "{:.0f}"),
                "-" if ratio is None or key == "dockscap" else f"{ratio:.2f}",
                tool.finding.describe() if tool.finding else "-",
            ]
        )
    return rows


def _median_spread(tool: ToolResult, what: str, form: str) -> str:
    low, high = tool.spread(what)
    return f"{form.format(tool.median(what))} ({form.format(low)}-{form.format(high)})"


def _met(target: Target) -> str:
    return {True: "yes", False: "NO", None: "-"}[target.met]


def markdown(
    facts: dict[str, str], results: list[SizeResult], targets: list[Target]
) -> str:
    """The tables in Markdown, for the README."""
    lines = [
        f"Machine: {facts['CPUs (nproc)']} CPUs ({facts['CPU model']}), "
        f"{facts['memory']}; {facts['docker engine'].split(',')[0]} engine, "
        f"{facts['docker CLI']}, {facts['oscap']}.",
        "",
    ]
    for result in results:
        lines += [f"{_title(result)}:", ""]
        lines += _markdown_table(list(HEADERS), _rows(result)) + [""]
    rows = [[target.text, target.figure, _met(target)] for target in targets]
    lines += _markdown_table(["target", "measured", "met"], rows)
    return "\n".join(lines) + "\n"


def _markdown_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *map(line, rows)]


def write_json(
    path: Path,
    facts: dict[str, str],
    results: list[SizeResult],
    targets: list[Target],
) -> None:
    """Every sample and finding, for the record and for the smoke test."""
    document = {
        "machine": facts,
        "sizes": [_size_document(result) for result in results],
        "targets": [asdict(target) for target in targets],
        "agree": not any(result.problems for result in results),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def _size_document(result: SizeResult) -> dict[str, object]:
    return {
        "size": result.size,
        "expected": asdict(result.expected),
        "load": [result.load_before, result.load_after],
        "audit": asdict(result.audit) if result.audit else None,
        "problems": result.problems,
        "tools": {
            key: {
                "label": tool.label,
                "command": tool.command,
                "samples": [asdict(sample) for sample in tool.samples],
                "median_wall": tool.median("wall"),
                "median_peak_mib": tool.median("peak_mib"),
                "ratio_dockscap_to_tool": result.ratio(key),
                "finding": asdict(tool.finding) if tool.finding else None,
            }
            for key, tool in result.tools.items()
        },
    }


if __name__ == "__main__":
    sys.exit(main())
