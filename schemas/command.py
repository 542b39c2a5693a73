"""`dockscap validate`: check files against the official schemas, offline."""

from __future__ import annotations

from pathlib import Path

import click

from dockscap.errors import DockscapError
from dockscap.schemas.catalog import CKL_SCHEMA_ENV, SCHEMAS_ENV
from dockscap.schemas.validation import validate_file


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path)
)
@click.option(
    "--schemas",
    "schemas",
    type=click.Path(path_type=Path),
    help=(
        "Directory of the official SCAP schemas, laid out as OpenSCAP installs "
        f"them [default: ${SCHEMAS_ENV}, else /usr/share/openscap/schemas]."
    ),
)
@click.option(
    "--ckl-schema",
    type=click.Path(path_type=Path),
    help=(
        "DISA's checklist schema U_Checklist_Schema_V2.xsd (from STIG Viewer 2), "
        "to validate a CKL against it rather than check its structure "
        f"[default: ${CKL_SCHEMA_ENV}]."
    ),
)
def validate(
    files: tuple[Path, ...], schemas: Path | None, ckl_schema: Path | None
) -> None:
    """Validate FILE..., any file dockscap writes, offline.

    \b
    Each file's kind is told by its content:
      XCCDF 1.2 Benchmark, TestResult or Tailoring,
      XCCDF 1.1 Benchmark, OVAL definitions, CPE 2.3 dictionary,
      SCAP 1.3 source data stream, ARF 1.1 asset report collection:
        against the official XSDs (--schemas);
      STIG Viewer checklist (CKL): a structural check, or DISA's
        schema when --ckl-schema names it;
      STIG Viewer 3 checklist (CKLB): a structural check (DISA
        publishes no CKLB schema);
      dockscap JSON results (evaluate --json): against their JSON Schema;
      dockscap HTML report (evaluate --report): well-formed, self-contained
        and naming dockscap as its generator.

    Each problem is a line, FILE:LINE: PATH: message (no LINE in JSON).
    Exit code 0 when every file is valid, 1 otherwise.
    """
    # Every file is reported, even after one that fails.
    outcomes = [_report(path, schemas, ckl_schema) for path in files]

    if not all(outcomes):
        raise click.exceptions.Exit(1)


def _report(path: Path, schemas: Path | None, ckl_schema: Path | None) -> bool:
    """Print one file's outcome; True when it is valid."""
    try:
        outcome = validate_file(path, schema_dir=schemas, ckl_schema=ckl_schema)
    except DockscapError as error:
        # One line per file that cannot be validated; the others still are.
        message = str(error)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        click.echo(f"Error: {message}", err=True)
        return False

    if outcome.valid:
        click.echo(f"{path}: valid ({outcome.kind})")
        return True
    for problem in outcome.problems:
        click.echo(problem.located(str(path)))
    return False
