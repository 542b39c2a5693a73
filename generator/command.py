"""`dockscap generate`."""

from __future__ import annotations

import click


@click.command()
def generate() -> None:
    """Generate SCAP content from content/."""
    raise click.ClickException("not built yet")
