"""`dockscap validate`."""

from __future__ import annotations

import click


@click.command()
def validate() -> None:
    """Validate files against the official schemas.."""
    raise click.ClickException("not built yet")
