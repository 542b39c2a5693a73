"""`dockscap generate`: render one STIG release's SCAP content into a folder."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from rich.console import Console

from dockscap.generator.build import (
    GeneratedFile,
    data_root_path,
    render,
    render_tailoring,
)
from dockscap.generator.content import load_benchmark
from dockscap.output import write_atomically
from dockscap.schemas import assert_valid

log = logging.getLogger(__name__)


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

    files = content.files()
    if data_root is not None:
        files.append(
            GeneratedFile(
                content.names.tailoring,
                render_tailoring(benchmark, chosen, data_root),
                "XCCDF 1.2 tailoring: profiles *_tailored with data root "
                + data_root_path(data_root),
            )
        )
    for file in files:
        assert_valid(file.data, source=str(out_dir / file.name))
    write_atomically((out_dir / file.name, file.data) for file in files)

    log.debug("wrote %d files for %s to %s", len(files), chosen.name, out_dir)
    _report(files, f"STIG {chosen.name} ({chosen.release_info})", out_dir)


def _report(files: list[GeneratedFile], title: str, out_dir: Path) -> None:
    """One line per file, paths whole so that they can be copied."""
    console = Console(soft_wrap=True, highlight=False)
    console.print(f"{title}: wrote {len(files)} files", markup=False)
    for file in files:
        console.print(f"  {out_dir / file.name}  ", end="", markup=False)
        console.print(file.description, style="dim", markup=False)
