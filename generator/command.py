"""`dockscap generate`: render one STIG release's SCAP content into a folder."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from dockscap.generator.build import data_root_path, render, render_tailoring
from dockscap.generator.content import load_benchmark
from rich.console import Console

from dockscap.output import write_atomically

log = logging.getLogger(__name__)

# What each file is, in the order `GeneratedContent.files()` lists them.
DESCRIPTIONS = (
    "SCAP 1.3 source data stream (all four components)",
    "XCCDF 1.2 benchmark",
    "OVAL 5.11.2 definitions of the check",
    "CPE 2.3 dictionary: Docker Engine installed",
    "OVAL definitions of the CPE platform",
    "DISA-style XCCDF 1.1 benchmark (STIG Viewer)",
)


@click.command()
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding benchmark.yml and rules/ (default: dockscap's own).",
)
@click.option(
    "--release",
    metavar="RELEASE",
    help="STIG release, such as V1R1, V2R1 or V2R2 (default: the newest).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder to write the files into.",
)
@click.option(
    "--data-root",
    metavar="PATH",
    help=(
        "Also write a tailoring file whose profiles set this Docker data root "
        "(daemon.json data-root) for scanners."
    ),
)
def generate(
    content_dir: Path | None, release: str | None, out_dir: Path, data_root: str | None
) -> None:
    """Generate the SCAP content of one STIG release.

    Writes the data stream, its XCCDF, OVAL and CPE components and DISA's
    XCCDF 1.1 form as dockscap-docker-RELEASE-*.xml, every file validated
    first, all of them or none.
    """
    benchmark = load_benchmark(content_dir)
    chosen = benchmark.release(release)
    content = render(benchmark, chosen)

    written = [
        (name, data, description)
        for (name, data), description in zip(content.files(), DESCRIPTIONS, strict=True)
    ]
    if data_root is not None:
        tailoring = render_tailoring(benchmark, chosen, data_root)
        description = _tailored(data_root_path(data_root))
        written.append((content.names.tailoring, tailoring, description))
    write_atomically((out_dir / name, data) for name, data, _ in written)

    log.debug("wrote %d files for %s to %s", len(written), chosen.name, out_dir)
    _report(written, f"STIG {chosen.name} ({chosen.release_info})", out_dir)


def _tailored(data_root: str) -> str:
    return f"XCCDF 1.2 tailoring: profiles *_tailored with data root {data_root}"


def _report(written: list[tuple[str, bytes, str]], title: str, out_dir: Path) -> None:
    """One line per file, paths whole so that they can be copied."""
    console = Console(soft_wrap=True, highlight=False)
    console.print(f"{title}: wrote {len(written)} files", markup=False)
    for name, _, description in written:
        console.print(f"  {out_dir / name}  ", end="", markup=False)
        console.print(description, style="dim", markup=False)
