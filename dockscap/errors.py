"""The one exception family of dockscap; the CLI turns each into an exit code."""

from __future__ import annotations

from pathlib import Path


class DockscapError(Exception):
    """Base of every error dockscap reports: the message is the whole story."""

    exit_code = 1


class ContentError(DockscapError):
    """content/ does not hold what the rule model needs."""

    def __init__(
        self, path: Path | str, line: int | None, key: str | None, problem: str
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.key = key
        self.problem = problem
        where = str(path) if line is None else f"{path}:{line}"
        what = f"{key}: {problem}" if key else problem
        super().__init__(f"{where}: {what}")


class EngineError(DockscapError):
    """A Docker engine could not be reached or answered in a way we cannot use."""

    def __init__(self, endpoint: str, problem: str, hint: str | None = None) -> None:
        self.endpoint = endpoint
        self.problem = problem
        self.hint = hint
        message = f"{endpoint}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class SchemaError(DockscapError):
    """The official schemas are missing or cannot be loaded."""


class InvalidDocumentError(DockscapError):
    """A document dockscap wrote or was handed is not valid; nothing is kept."""


class InputError(DockscapError):
    """A file or option the user handed in cannot be used."""
