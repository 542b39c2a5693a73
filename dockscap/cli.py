"""The `dockscap` command: a click group over thin commands.

Each command lives beside the code it drives (generator/, evaluator/, schemas/);
this module only assembles them and turns every DockscapError into one `Error:`
line on stderr and the error's exit code.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from dockscap import __version__
from dockscap.errors import DockscapError
from dockscap.evaluator.command import evaluate
from dockscap.generator.command import generate
from dockscap.schemas.command import validate

INTERRUPTED = 130


class DockscapGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DockscapError as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; no result file was written.", err=True)
            ctx.exit(INTERRUPTED)


@click.group(
    cls=DockscapGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="dockscap")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
def main(debug: bool) -> None:
    """SCAP content and live checks for DISA STIG rule DKER-EE-002030."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


main.add_command(generate)
main.add_command(evaluate)
main.add_command(validate)
