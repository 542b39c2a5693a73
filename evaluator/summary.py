"""The terminal summary of a scan: what was checked, what fails, the rule's result.

Colour and bold only on a terminal (rich decides); in a pipe or a log the same
words come out as plain text. Everything the engine reported is shown as text,
never as rich markup, and control characters in it are made visible, so a
container name cannot restyle or rewrite the operator's terminal.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from dockscap.evaluator.results import ContainerVerdict, EngineScan, Verdict
from dockscap.evaluator.waivers import waiver_note


class SummaryConsole(Console):
    """The terminal summary: a reader that leaves early (| head) costs nothing.

    rich ends the process with exit code 1 on a broken pipe; the summary is
    only for reading, so the rest of it goes nowhere instead, and the exit
    code still gives the rule's result.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.file.fileno())
        os.close(devnull)


STYLES = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold red",
    Verdict.ERROR: "bold yellow",
}
CATEGORIES = {"high": "CAT I", "medium": "CAT II", "low": "CAT III"}


def print_summary(scan: EngineScan, console: Console) -> None:
    """Print SCAN: the rule and engine, the counts, every failing, erroring and
    vanished container, and the rule's result for the host."""
    console.print(_heading(scan), soft_wrap=True)  # URLs and titles stay whole
    console.print(_counts_line(scan))
    if scan.filters:
        console.print(
            Text("Filtered: only part of the engine was checked: ", "bold")
            + Text(visible("; ".join(scan.filters)))
        )

    failing = scan.with_verdict(Verdict.FAIL)
    if failing:
        console.print()
        console.print(Text(f"Writable root filesystem ({len(failing)}):", "bold"))
        console.print(_table(failing, reasons=False), soft_wrap=True)
        _print_waivers(failing, console)

    erroring = scan.with_verdict(Verdict.ERROR)
    if erroring:
        console.print()
        console.print(Text(f"Could not be decided ({len(erroring)}):", "bold"))
        console.print(_table(erroring, reasons=True), soft_wrap=True)

    if scan.vanished:
        console.print()
        names = ", ".join(visible(name) for name in scan.vanished)
        console.print(
            Text(f"Removed during the scan, not counted ({len(scan.vanished)}): ")
            + Text(names)
        )

    console.print()
    console.print(_result_line(scan))


def _print_waivers(failing: Sequence[ContainerVerdict], console: Console) -> None:
    """The waivers that named failing containers: recorded, never a pass."""
    noted = [item for item in failing if item.waiver is not None]
    if not noted:
        return
    in_force = sum(1 for item in noted if item.waived)
    console.print()
    console.print(
        Text(f"Waivers ({in_force} in force; waived containers still fail):", "bold")
    )
    for item in noted:
        note = waiver_note(item) or ""
        console.print(Text(f"- {visible(item.container.name)}: {visible(note)}"))


def visible(text: str) -> str:
    """TEXT with control and format characters shown as escapes, e.g. \\x1b."""
    if text.isprintable():  # holds none of them: the common case, at C speed
        return text
    return "".join(_visible_char(char) for char in text)


def _visible_char(char: str) -> str:
    if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _heading(scan: EngineScan) -> Text:
    ids = scan.rule.ids(scan.release.name)
    category = CATEGORIES.get(scan.rule.severity, scan.rule.severity)
    host = scan.engine
    facts = [visible(host.name)]
    facts += [visible(fact) for fact in (host.operating_system,) if fact]
    if host.engine_version:
        api = f" (API {host.api_version})" if host.api_version else ""
        facts.append(f"engine {visible(host.engine_version)}{api}")

    heading = Text(scan.rule.stig_id, "bold")
    heading.append(
        f": STIG {scan.release.name} rule {ids.rule} ({ids.group}, {category})\n"
    )
    heading.append(f"{scan.rule.title}\n", "dim")
    heading.append(f"Engine: {visible(host.endpoint)}\n")
    heading.append(f"Host: {', '.join(facts)}")
    return heading


def _counts_line(scan: EngineScan) -> Text:
    checked = len(scan.verdicts)
    if checked == 0:
        return Text(f"Containers checked: 0. {scan.none_checked}")
    counts = scan.counts
    return Text(
        f"Containers checked: {checked} ({counts[Verdict.PASS]} read-only, "
        f"{counts[Verdict.FAIL]} writable, {counts[Verdict.ERROR]} undetermined)"
    )


def _table(items: Sequence[ContainerVerdict], reasons: bool) -> Text:
    """Aligned columns, header in bold, built as one Text.

    rich's Table measures every cell and costs about a millisecond a row; an
    engine with thousands of writable containers must not wait on its summary.
    Lines are never wrapped (printed with soft_wrap), so nothing is cut.
    """
    titles = ["NAME", "ID", "IMAGE", "STATE"] + (["REASON"] if reasons else [])
    rows = [titles]
    for item in items:
        container = item.container
        cells = [container.name, container.short_id, container.image, container.state]
        if reasons:
            cells.append(item.reason)
        rows.append([visible(cell) for cell in cells])
    # Widths in terminal cells, so that wide characters (CJK) keep columns aligned.
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(titles))]

    lines = [
        "  ".join(
            cell + " " * (width - cell_len(cell))
            for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
    table = Text("\n".join(lines))
    table.stylize("bold", 0, len(lines[0]))
    return table


def _result_line(scan: EngineScan) -> Text:
    result = scan.result
    line = Text("Result: ")
    line.append(result.value.upper(), STYLES[result])
    failing = len(scan.with_verdict(Verdict.FAIL))
    erroring = len(scan.with_verdict(Verdict.ERROR))
    if result is Verdict.FAIL:
        line.append(f" ({failing} container(s) with a writable root filesystem)")
    elif not scan.verdicts and scan.filters:
        line.append(" (the filters left no container to check)")
    elif result is Verdict.ERROR:
        line.append(f" ({erroring} container(s) could not be decided)")
    elif not scan.verdicts:
        line.append(" (no containers: nothing breaks the rule)")
    else:
        line.append(" (every container's root filesystem is read-only)")
    return line
