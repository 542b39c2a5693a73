"""One scan: an engine's containers, each decided, gathered into an EngineScan."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from dockscap.errors import InputError
from dockscap.evaluator.engine import Engine, container_from_inspect
from dockscap.evaluator.filters import ContainerFilter
from dockscap.evaluator.results import ContainerVerdict, EngineScan, Verdict
from dockscap.evaluator.verdicts import readonly_rootfs_verdict
from dockscap.generator.model import Benchmark, Release
from dockscap.timestamps import now

log = logging.getLogger(__name__)

Decide = Callable[[Mapping[str, Any]], tuple[Verdict, str]]

# The rules this evaluator can decide from an inspect document, by STIG ID.
CHECKS: dict[str, Decide] = {"DKER-EE-002030": readonly_rootfs_verdict}
DEFAULT_RULE = "DKER-EE-002030"


class ScanProgress(Protocol):
    """Told how far a scan is, for a progress display; called from the scan's thread."""

    def listed(self, count: int) -> None: ...

    def inspected(self) -> None: ...


def scan(
    engine: Engine,
    benchmark: Benchmark,
    release: Release,
    stig_id: str = DEFAULT_RULE,
    only: ContainerFilter | None = None,
    progress: ScanProgress | None = None,
) -> EngineScan:
    """List and inspect every container of ENGINE and decide STIG_ID for each.

    Containers removed between the listing and their inspection are left out
    of the verdicts and named in `vanished`. Raises EngineError when the engine
    fails mid-scan: a partial scan is never returned. ONLY narrows the scan to
    the containers it includes, and the scan's `filters` say so. PROGRESS, when
    given, hears the number listed and each container inspected.
    """
    only = only or ContainerFilter()
    rule = benchmark.rule(stig_id)
    if stig_id not in CHECKS:
        raise InputError(f"dockscap cannot evaluate {stig_id} against an engine")
    decide = CHECKS[stig_id]
    started = now()

    # The host's facts (GET /info, and this machine's addresses and name from
    # the resolver) and the containers need not wait for each other.
    with ThreadPoolExecutor(1, thread_name_prefix="host") as pool:
        host = pool.submit(engine.host)
        verdicts, vanished = _decide_each(engine, only, decide, progress)

    result = EngineScan(
        benchmark=benchmark,
        release=release,
        rule=rule,
        engine=host.result(),
        started=started,
        finished=now(),
        verdicts=tuple(verdicts),
        vanished=tuple(vanished),
        filters=only.describe(),
    )
    log.debug(
        "%s: %d container(s) decided, %d vanished, rule result %s",
        engine.endpoint,
        len(verdicts),
        len(vanished),
        result.result,
    )
    return result


def _decide_each(
    engine: Engine,
    only: ContainerFilter,
    decide: Decide,
    progress: ScanProgress | None,
) -> tuple[list[ContainerVerdict], list[str]]:
    """The verdict of each container ONLY includes, and the names of those that
    were removed before their inspection."""
    # The engine narrows the listing by label when asked; names are matched here.
    engine_filters = only.engine_filters()
    listing = (
        engine.containers(engine_filters) if engine_filters else engine.containers()
    )
    listed = [item for item in listing if only.may_include_name(item.name)]
    if progress is not None:
        progress.listed(len(listed))

    inspected = progress.inspected if progress is not None else None
    read = engine.inspect_each(listed, _reader(decide), inspected)

    verdicts: list[ContainerVerdict] = []
    vanished: list[str] = []
    for item, verdict in zip(listed, read, strict=True):
        if verdict is None:
            vanished.append(item.name)
        elif only.includes(verdict.container):
            verdicts.append(verdict)
    return verdicts, vanished


def _reader(decide: Decide) -> Callable[[Mapping[str, Any]], ContainerVerdict]:
    """Reduces an inspect document to its verdict record, inside the worker."""

    def read(document: Mapping[str, Any]) -> ContainerVerdict:
        verdict, reason = decide(document)
        return ContainerVerdict(container_from_inspect(document), verdict, reason)

    return read
