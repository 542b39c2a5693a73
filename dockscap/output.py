"""Write result and content files whole or not at all.

Every file goes to a temporary file in the target folder and is renamed into
place only when all of a run's files are ready, so a crash, a Ctrl-C or an
invalid document never leaves a half-written file, and an existing file at the
target path stays untouched until its replacement is complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dockscap.errors import InputError


def write_atomically(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write every (path, data) pair, or none of them."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(Path(path), data), Path(path)))
        # A rename onto a folder fails: find out before the first file is replaced.
        for _, path in staged:
            if path.is_dir():
                raise InputError(f"cannot write {path}: it is a folder")
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _stage(path: Path, data: bytes) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from error
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(name, 0o644)
    return Path(name)
