"""Many engines in one run: scanned on a bounded pool, each to its own outcome.

An engine that cannot be reached, or fails mid-scan, ends only its own scan
(EngineError); the others go on, and the run reports which ones failed. Any
other error (content, a bug, Ctrl-C) ends the whole run.

On a terminal, a progress display shows containers and engines done, with the
rate, once a scan has lasted long enough to need one; it is gone when the scan
ends. rich's progress module is imported only then.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from dockscap.errors import EngineError
from dockscap.evaluator.hosts import EngineTarget
from dockscap.evaluator.results import EngineScan, UnscannedEngine, Verdict
from dockscap.evaluator.scan import ScanProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, Task, TaskID

log = logging.getLogger(__name__)

# Each engine already inspects on a few threads of its own (evaluator.engine);
# four engines at once keep a 2-core machine busy without drowning it.
DEFAULT_PARALLEL = 4
# A scan shorter than this shows no progress display at all.
PROGRESS_DELAY = 0.5

ScanOne = Callable[[EngineTarget, ScanProgress], EngineScan]


@dataclass(frozen=True)
class EngineOutcome:
    """What became of one engine: its scan, or the error that ended it."""

    target: EngineTarget
    scan: EngineScan | None = None
    error: EngineError | None = None

    def unscanned(self) -> UnscannedEngine:
        """The engine as the results files list it when it could not be scanned."""
        assert self.error is not None
        endpoint = self.error.endpoint or self.target.endpoint or ""
        return UnscannedEngine(endpoint, self.target.label, str(self.error))


def scan_engines(
    targets: Sequence[EngineTarget],
    scan_one: ScanOne,
    *,
    parallel: int = DEFAULT_PARALLEL,
    display: ProgressDisplay | None = None,
) -> list[EngineOutcome]:
    """Scan every target with SCAN_ONE, at most PARALLEL at once.

    Outcomes come back in the targets' order, whatever order the scans end in.
    A single target is scanned on this thread. The workers are daemon threads:
    on Ctrl-C the run ends at once instead of waiting for engines that may
    take a minute to time out.
    """
    if len(targets) == 1:
        return [_outcome(targets[0], scan_one, display)]

    outcomes: list[EngineOutcome | None] = [None] * len(targets)
    waiting: queue.SimpleQueue[int] = queue.SimpleQueue()
    for position in range(len(targets)):
        waiting.put(position)
    failures: list[BaseException] = []

    def work() -> None:
        while not failures:
            try:
                position = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                outcomes[position] = _outcome(targets[position], scan_one, display)
            except BaseException as error:  # noqa: BLE001 - raised on the main thread
                failures.append(error)

    workers = [
        threading.Thread(target=work, name=f"engine-{number}", daemon=True)
        for number in range(min(parallel, len(targets)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # Not an engine's fault (content, a bug): the whole run ends, as with one engine.
    if failures:
        raise failures[0]
    return [outcome for outcome in outcomes if outcome is not None]


def _outcome(
    target: EngineTarget, scan_one: ScanOne, display: ProgressDisplay | None
) -> EngineOutcome:
    progress: _EngineProgress | _Silent = (
        display.engine() if display is not None else _Silent()
    )
    started = time.monotonic()
    try:
        result = scan_one(target, progress)
    except EngineError as error:
        log.debug("engine %d (%s) not scanned: %s", target.index, target.source, error)
        return EngineOutcome(target, error=error)
    finally:
        progress.done()
    log.debug(
        "engine %d (%s) scanned in %.2f s",
        target.index,
        target.source,
        time.monotonic() - started,
    )
    return EngineOutcome(target, scan=result)


def run_verdict(outcomes: Sequence[EngineOutcome]) -> Verdict:
    """The rule's result over the engines scanned, as for one host's containers:
    fail if any engine fails, else error if any errored, else pass."""
    found = {outcome.scan.result for outcome in outcomes if outcome.scan is not None}
    for verdict in (Verdict.FAIL, Verdict.ERROR):
        if verdict in found:
            return verdict
    return Verdict.PASS


class _Silent:
    """The progress of a scan nobody watches."""

    def listed(self, count: int) -> None:
        pass

    def inspected(self) -> None:
        pass

    def done(self) -> None:
        pass


class ProgressDisplay:
    """Containers inspected (with their rate) and engines done, on a terminal.

    Use it as a context manager around the scans. The display appears only
    after DELAY seconds, and is erased when the scans end, so that the summary
    that follows stands alone. Scans report to it from their own threads.
    """

    def __init__(
        self, console: Console, engines: int, delay: float | None = None
    ) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _rate_column(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.containers: TaskID = self.progress.add_task(
            "Containers", total=None, unit="containers"
        )
        self.engines: TaskID | None = None
        if engines > 1:
            self.engines = self.progress.add_task("Engines", total=engines, unit="")
        self._delay = PROGRESS_DELAY if delay is None else delay
        self._lock = threading.Lock()
        self._ended = False
        self._listed = 0
        self._listed_lock = threading.Lock()
        self._timer = threading.Timer(self._delay, self._show)
        self._timer.daemon = True

    def __enter__(self) -> ProgressDisplay:
        if self._delay <= 0:
            self._show()
        else:
            self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._ended = True
            self._timer.cancel()
            self.progress.stop()

    def engine(self) -> _EngineProgress:
        """The progress of one engine's scan, to hand to evaluator.scan."""
        return _EngineProgress(self)

    def add_listed(self, count: int) -> None:
        """Every engine adds its containers to the total as soon as it has listed."""
        with self._listed_lock:
            self._listed += count
            self.progress.update(self.containers, total=self._listed)

    def _show(self) -> None:
        with self._lock:
            if not self._ended:
                self.progress.start()


class _EngineProgress:
    def __init__(self, display: ProgressDisplay) -> None:
        self._display = display

    def listed(self, count: int) -> None:
        self._display.add_listed(count)

    def inspected(self) -> None:
        self._display.progress.advance(self._display.containers)

    def done(self) -> None:
        if self._display.engines is not None:
            self._display.progress.advance(self._display.engines)


def _rate_column() -> ProgressColumn:
    """A column with the task's rate, in its unit: "850 containers/s"."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            unit = task.fields.get("unit")
            if not unit or task.speed is None:
                return Text("")
            return Text(f"{task.speed:,.0f} {unit}/s", style="progress.data.speed")

    return RateColumn()
