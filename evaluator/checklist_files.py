"""The checklist files one `dockscap evaluate` run writes, and the release they need.

A DISA benchmark (--stig) and an existing checklist (--update-ckl,
--update-cklb) each belong to one STIG release; they are read before the engine
is touched, so that the scan is made for that release and a disagreement
between them costs no scan.

The checklist writers are imported only where a plan needs them before the
scan (to read a release); otherwise when the files are made, or ahead of
that by `prepare_writers`, while the engines answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from dockscap.errors import InputError
from dockscap.evaluator.results import EngineScan
from dockscap.generator.model import Benchmark, Release
from dockscap.safexml import read_limited

if TYPE_CHECKING:
    from dockscap.evaluator.disa_benchmark import DisaBenchmark


@dataclass(frozen=True)
class ChecklistFile:
    """One checklist to write: where, what it is, and how it is rendered."""

    path: Path
    description: str
    render: Callable[[EngineScan], bytes]


@dataclass(frozen=True)
class ChecklistPlan:
    release: Release
    files: tuple[ChecklistFile, ...]


def plan_checklists(
    benchmark: Benchmark,
    *,
    release: str | None = None,
    stig: Path | None = None,
    ckl_path: Path | None = None,
    cklb_path: Path | None = None,
    update_ckl: Path | None = None,
    update_cklb: Path | None = None,
) -> ChecklistPlan:
    """The release to scan for and the checklist files, from the command's options.

    Every source of a release (--release, --stig, the checklists to update)
    must name the same one; without any, the newest release is used.
    """
    sources: dict[str, Release] = {}
    if release is not None:
        sources["--release"] = benchmark.release(release)
    disa: DisaBenchmark | None = None
    if stig is not None:
        from dockscap.evaluator.disa_benchmark import load_disa_benchmark, match_release

        disa = load_disa_benchmark(stig)
        sources[f"--stig {stig}"] = match_release(disa, benchmark)

    files = []
    if ckl_path is not None:
        files.append(
            ChecklistFile(ckl_path, "CKL checklist", partial(_render_ckl, stig=disa))
        )
    if cklb_path is not None:
        files.append(
            ChecklistFile(cklb_path, "CKLB checklist", partial(_render_cklb, stig=disa))
        )
    if update_ckl is not None:
        from dockscap.evaluator import ckl

        existing = read_limited(update_ckl, what="CKL checklist")
        sources[str(update_ckl)] = ckl.detect_release(
            existing, benchmark, source=str(update_ckl)
        )
        update = partial(ckl.update_ckl, existing, source=str(update_ckl))
        files.append(ChecklistFile(update_ckl, "updated CKL checklist", update))
    if update_cklb is not None:
        from dockscap.evaluator import cklb

        existing = read_limited(update_cklb, what="CKLB checklist")
        sources[str(update_cklb)] = cklb.detect_release(
            existing, benchmark, source=str(update_cklb)
        )
        update = partial(cklb.update_cklb, existing, source=str(update_cklb))
        files.append(ChecklistFile(update_cklb, "updated CKLB checklist", update))

    return ChecklistPlan(_agreed(sources) or benchmark.release(None), tuple(files))


def prepare_writers() -> None:
    """Import the checklist writers, ahead of the files."""
    import dockscap.evaluator.ckl
    import dockscap.evaluator.cklb  # noqa: F401


def _render_ckl(scan: EngineScan, stig: DisaBenchmark | None) -> bytes:
    from dockscap.evaluator.ckl import render_ckl

    return render_ckl(scan, stig=stig)


def _render_cklb(scan: EngineScan, stig: DisaBenchmark | None) -> bytes:
    from dockscap.evaluator.cklb import render_cklb

    return render_cklb(scan, stig=stig)


def _agreed(sources: dict[str, Release]) -> Release | None:
    names = {release.name for release in sources.values()}
    if len(names) > 1:
        said = "; ".join(f"{source} is {r.name}" for source, r in sources.items())
        raise InputError(f"the STIG releases disagree: {said}")
    return next(iter(sources.values()), None)
