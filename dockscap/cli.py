"""The `dockscap` command: a click group over thin commands.

Each command lives beside the code it drives (generator/, evaluator/, schemas/);
this module only assembles them and turns every DockscapError into one `Error:`
line on stderr and the error's exit code.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from dockscap import __version__
from dockscap.errors import DockscapError, InputError

INTERRUPTED = 130
# click exits 2 on misuse, but 2 is dockscap's "the rule fails": a pipeline must
# never record a mistyped option as a failing host, so misuse is an error, 1.
USAGE_ERROR = 1
LOG_HANDLER = "dockscap"

# Each command is imported when it runs (or when --help lists them all), so
# that one command never waits for another's libraries: validate's schema
# library alone takes longer to import than evaluate needs to start.
COMMANDS = {
    "generate": "dockscap.generator.command",
    "evaluate": "dockscap.evaluator.command",
    "validate": "dockscap.schemas.command",
}


class DockscapGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = getattr(importlib.import_module(COMMANDS[cmd_name]), cmd_name)
        assert isinstance(command, click.Command)
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            outcome = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            error.show()
            sys.exit(USAGE_ERROR)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Interrupted.", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(outcome if isinstance(outcome, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DockscapError as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            # Files are written whole or not at all (dockscap.output); the
            # interrupt may have come before or after, so claim neither.
            click.echo("Interrupted.", err=True)
            ctx.exit(INTERRUPTED)


@click.group(
    cls=DockscapGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="dockscap")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Log what dockscap does (what was scanned, how many, how long) to stderr.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print nothing but errors; the exit code still gives the result.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Append dockscap's debug log, with times, to FILE.",
)
def main(debug: bool, verbose: bool, quiet: bool, log_file: Path | None) -> None:
    """SCAP content and live checks for DISA STIG rule DKER-EE-002030.

    \b
    Shell completion for bash (zsh and fish: docs/cli.md):
      eval "$(_DOCKSCAP_COMPLETE=bash_source dockscap)"
    """
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together")
    handlers = _log_handlers(debug, verbose, quiet, log_file)
    for handler in handlers:
        click.get_current_context().call_on_close(handler.close)


def _log_handlers(
    debug: bool, verbose: bool, quiet: bool, log_file: Path | None
) -> list[logging.Handler]:
    """stderr at WARNING (ERROR with --quiet, DEBUG with -v), a file at DEBUG.

    --debug also lets other libraries' debug lines through; -v and the log file
    carry dockscap's own. The handlers replace those of an earlier run in the
    same process (tests run many in one).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == LOG_HANDLER]:
        root.removeHandler(old)
        old.close()

    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    stderr.setLevel(logging.WARNING)
    if debug or verbose:
        stderr.setLevel(logging.DEBUG)
    elif quiet:
        stderr.setLevel(logging.ERROR)
    handlers: list[logging.Handler] = [stderr]
    if log_file is not None:
        try:
            to_file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as error:
            raise InputError(
                f"cannot write the log file {log_file}: {error.strerror}"
            ) from error
        to_file.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        to_file.setLevel(logging.DEBUG)
        handlers.append(to_file)

    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    ours = debug or verbose or log_file is not None
    logging.getLogger("dockscap").setLevel(logging.DEBUG if ours else logging.NOTSET)
    for handler in handlers:
        handler.set_name(LOG_HANDLER)
        root.addHandler(handler)
    return handlers


def run() -> None:
    """The `dockscap` console script: main, then an exit without teardown.

    Tearing the interpreter down frees every object one by one (the modules,
    the compiled schemas), about 60 ms on a 2-core machine, which is a tenth
    of a whole scan of 1,000 containers; the operating system frees them at
    once. Everything is flushed first, so that what the run wrote is whole.
    Tests call main, which exits the usual way.
    """
    try:
        main()
    except SystemExit as done:
        _exit_now(done.code)
        raise


def _exit_now(code: object) -> None:
    """os._exit(CODE) once logs and streams are flushed; return if they cannot be."""
    if not (code is None or isinstance(code, int)):
        return  # a message for Python to print
    try:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # a closed or broken stream: Python reports it as it always does
    os._exit(code or 0)
