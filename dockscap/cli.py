"""The `dockscap` command: thin click commands over the generator and the evaluator."""

from __future__ import annotations

import click

from dockscap import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dockscap")
def main() -> None:
    """SCAP content and live checks for DISA STIG rule DKER-EE-002030."""
