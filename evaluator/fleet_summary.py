"""The terminal summary of a many-engine run, after each engine's own summary.

One line per engine, scanned or not, in the order the engines were named, then
the run's result. As in evaluator/summary.py, whatever an engine or a hosts
file said is shown as text with control characters made visible.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from dockscap.evaluator.fleet import EngineOutcome, run_verdict
from dockscap.evaluator.results import Verdict
from dockscap.evaluator.summary import STYLES, visible

NOT_SCANNED = "NOT SCANNED"


def print_heading(outcome: EngineOutcome, engines: int, console: Console) -> None:
    """The line that opens one engine's summary: which of how many, and its label."""
    target = outcome.target
    label = f" ({visible(target.label)})" if target.label else ""
    console.print()
    console.print(Text(f"== Engine {target.index} of {engines}{label} ==", "bold"))


def print_engines(outcomes: Sequence[EngineOutcome], console: Console) -> None:
    """Every engine's result in one table, those not scanned with their error."""
    scanned = sum(1 for outcome in outcomes if outcome.scan is not None)
    console.print()
    console.print(
        Text(
            f"Engines ({len(outcomes)}): {scanned} scanned, "
            f"{len(outcomes) - scanned} not scanned",
            "bold",
        )
    )
    console.print(_table(outcomes), soft_wrap=True)
    console.print()
    console.print(_result_line(outcomes))


def _table(outcomes: Sequence[EngineOutcome]) -> Text:
    rows = [["#", "RESULT", "HOST", "ENGINE", "CONTAINERS"]]
    styles: list[str | None] = [None]
    for outcome in outcomes:
        target, scan = outcome.target, outcome.scan
        engine = visible(scan.engine.endpoint if scan else _endpoint(outcome))
        if target.label:
            engine += f" ({visible(target.label)})"
        if scan is None:
            problem = outcome.error.problem if outcome.error else "not scanned"
            rows.append([str(target.index), NOT_SCANNED, "-", engine, visible(problem)])
            styles.append("bold magenta")
            continue
        counts = scan.counts
        rows.append(
            [
                str(target.index),
                scan.result.value.upper(),
                visible(scan.engine.name),
                engine,
                f"{len(scan.verdicts)} checked, {counts[Verdict.FAIL]} writable, "
                f"{counts[Verdict.ERROR]} undetermined",
            ]
        )
        styles.append(STYLES[scan.result])

    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = Text()
    for number, (row, style) in enumerate(zip(rows, styles, strict=True)):
        if number:
            table.append("\n")
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            padding = "" if i == len(row) - 1 else " " * (width - cell_len(cell) + 2)
            cell_style = "bold" if number == 0 else (style if i == 1 else None)
            table.append(cell, cell_style)
            table.append(padding)
    return table


def _endpoint(outcome: EngineOutcome) -> str:
    if outcome.error is not None and outcome.error.endpoint:
        return outcome.error.endpoint
    return outcome.target.endpoint or "DOCKER_HOST"


def _result_line(outcomes: Sequence[EngineOutcome]) -> Text:
    """INCOMPLETE when an engine was not scanned, else the worst engine's result."""
    missing = sum(1 for outcome in outcomes if outcome.scan is None)
    verdict = run_verdict(outcomes)
    failing = sum(
        1 for o in outcomes if o.scan is not None and o.scan.result is Verdict.FAIL
    )
    line = Text("Result: ")
    if missing:
        line.append("INCOMPLETE", "bold magenta")
        line.append(
            f" ({missing} of {len(outcomes)} engines could not be scanned; "
            f"the others: {verdict.value.upper()})"
        )
        return line

    line.append(verdict.value.upper(), STYLES[verdict])
    if verdict is Verdict.FAIL:
        line.append(f" ({failing} of {len(outcomes)} engines fail the rule)")
    elif verdict is Verdict.ERROR:
        line.append(" (some containers could not be decided)")
    else:
        line.append(f" (every container of the {len(outcomes)} engines is read-only)")
    return line
