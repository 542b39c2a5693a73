"""Write result and content files whole or not at all.

Every file goes to a temporary file in the target folder and is renamed into
place only when all of a run's files are ready, so a crash, a Ctrl-C or an
invalid document never leaves a half-written file, and an existing file at the
target path stays untouched until its replacement is complete.

A rename replaces whatever stands at the path, so targets are checked first: a
symbolic link is followed (the file it names is the one replaced, so a
checklist kept behind a link is really updated), anything but a regular file
(a device such as /dev/null, a FIFO, a folder) is refused, and a replaced file
keeps its permissions and owner; a new one gets the umask's. Missing folders
are created, and removed again when the files cannot all be written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dockscap.errors import InputError


def write_atomically(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write every (path, data) pair, or none of them."""
    targets = [(_target(Path(path)), data) for path, data in files]

    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for path, data in targets:
            created += _make_folders(path)
            staged.append((_stage(path, data), path))
        for temporary, path in staged:
            os.replace(temporary, path)
    except BaseException:
        # Nothing written, so no folder made for it either; the deepest first.
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _make_folders(path: Path) -> list[Path]:
    """Create PATH's missing folders; the ones created, outermost first."""
    missing = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent

    created: list[Path] = []
    try:
        for each in reversed(missing):
            each.mkdir()
            created.append(each)
    except OSError as error:
        for each in reversed(created):
            each.rmdir()
        raise InputError(f"cannot write {path}: {error.strerror}") from error
    return created


def _target(path: Path) -> Path:
    """The regular file a write to PATH replaces, links followed; refuse the rest."""
    if not path.name:
        raise InputError(f"cannot write {str(path)!r}: it names no file")
    # The path itself is checked, links followed: /dev/stdout resolves to a
    # name such as /proc/self/fd/pipe:[123], which is no file at all.
    target = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from error
    if stat.S_ISDIR(mode):
        raise InputError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(mode):
        raise InputError(
            f"cannot write {path}: it is not a regular file (a device, a pipe or "
            "a socket); dockscap writes result files whole, so name a file"
        )
    return target


def _stage(path: Path, data: bytes) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from error
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    _take_over_mode(Path(name), path)
    return Path(name)


def _take_over_mode(temporary: Path, path: Path) -> None:
    """Give the new file the old one's mode and owner, or the umask's mode."""
    try:
        existing = path.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        return
    os.chmod(temporary, stat.S_IMODE(existing.st_mode))
    if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        # Only root may give a file away; the mode is kept regardless.
        with contextlib.suppress(PermissionError):
            os.chown(temporary, existing.st_uid, existing.st_gid)
