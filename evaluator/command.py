"""`dockscap evaluate`."""

from __future__ import annotations

import click


@click.command()
def evaluate() -> None:
    """Evaluate Docker engines.."""
    raise click.ClickException("not built yet")
