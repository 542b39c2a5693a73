"""Which engines a run scans, and the file names of each engine's results.

Engines come from `--host` (repeatable) and `--hosts-file`: one endpoint a
line, an optional label after it, `#` comments and blank lines allowed. Each
engine gets an index, its place in that list from 1, which never changes
whatever the scan finds.

Results written one per engine (XCCDF results, CKL, CKLB) take their names
from a pattern with placeholders: `{host}` (the host name the engine reports,
made safe for a file name), `{label}` (the engine's label, else its host name)
and `{index}`. When two engines' files would get the same name, each of them
gets its index before the suffix instead, so that none overwrites another.
"""

from __future__ import annotations

import os
import re
import string
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dockscap.errors import InputError

PLACEHOLDERS = ("host", "label", "index")
SCHEMES = ("unix", "tcp", "ssh", "http", "https")
ADDRESS_HINT = "use unix:///path/docker.sock, tcp://HOST:PORT or ssh://USER@HOST"
HOSTS_FILE_FORM = "one endpoint a line, then an optional label; # starts a comment"

# A comment starts the line or follows blank space; a '#' inside a word stays.
_COMMENT = re.compile(r"(^|\s)#.*$")
_UNSAFE = re.compile(r"[^\w.-]+")
_NAME_LIMIT = 64


@dataclass(frozen=True)
class EngineTarget:
    """One engine to scan: where, what the user calls it, and where it was named."""

    # None: DOCKER_HOST, else the local socket (a run without --host).
    endpoint: str | None
    label: str | None = None
    index: int = 1
    source: str = "--host"


def engine_targets(
    hosts: Sequence[str], hosts_file: Path | None = None
) -> list[EngineTarget]:
    """The engines of a run: each --host, then the hosts file's, in order.

    Without either, one target: the engine DOCKER_HOST names, else the local
    socket. An endpoint named twice is refused: it would be scanned twice.
    """
    for host in hosts:
        _check_endpoint(host, "--host")
    named: list[tuple[str, str | None, str]] = [
        (host, None, "--host") for host in hosts
    ]
    if hosts_file is not None:
        named += read_hosts_file(hosts_file)
    if not named:
        return [EngineTarget(None)]

    seen: dict[str, str] = {}
    for endpoint, _, source in named:
        if endpoint in seen:
            raise InputError(
                f"{source}: {endpoint} is already named ({seen[endpoint]}); "
                "each engine is scanned once"
            )
        seen[endpoint] = source
    return [
        EngineTarget(endpoint, label, index, source)
        for index, (endpoint, label, source) in enumerate(named, start=1)
    ]


def read_hosts_file(path: Path) -> list[tuple[str, str | None, str]]:
    """(endpoint, label, "FILE:LINE") for each engine the file names.

    '-' reads standard input. Errors name the file and the line.
    """
    shown = "<stdin>" if str(path) == "-" else str(path)
    text = _read_text(path, shown)

    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        where = f"{shown}:{number}"
        endpoint, label = _split(line)
        _check_endpoint(endpoint, where)
        if label is not None:
            _check_label(label, where)
        found.append((endpoint, label, where))

    if not found:
        raise InputError(f"{shown}: names no engine ({HOSTS_FILE_FORM})")
    return found


def _read_text(path: Path, shown: str) -> str:
    try:
        data = sys.stdin.buffer.read() if shown == "<stdin>" else path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {shown}: {error.strerror}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(f"{shown}:{line}: not UTF-8 text") from error


def _split(line: str) -> tuple[str, str | None]:
    parts = line.split(maxsplit=1)
    label = parts[1].strip() if len(parts) > 1 else None
    return parts[0], label


def _check_endpoint(endpoint: str, where: str) -> None:
    try:
        parts = urlsplit(endpoint)
        usable = parts.scheme in SCHEMES and (
            bool(parts.path) if parts.scheme == "unix" else bool(parts.hostname)
        )
        port = parts.port  # raises for one that is no number of 0 to 65535
    except ValueError:  # urllib's word for a malformed URL, e.g. "tcp://[::1"
        usable = False
    if not usable:
        raise InputError(
            f"{where}: {endpoint!r} is not an engine address; {ADDRESS_HINT}"
        )
    # The docker SDK would call it an "invalid bind address"; say what lacks.
    if port is None and parts.scheme in ("tcp", "http", "https"):
        raise InputError(
            f"{where}: {endpoint!r} names no port; use {parts.scheme}://HOST:PORT "
            "(an engine listens on 2376 with TLS, 2375 without)"
        )


def _check_label(label: str, where: str) -> None:
    if any(not char.isprintable() for char in label):
        raise InputError(f"{where}: the label {label!r} holds a control character")


@dataclass(frozen=True)
class NamePattern:
    """A file option's value, which may hold {host}, {label} and {index}."""

    option: str
    pattern: str

    def __post_init__(self) -> None:
        self.placeholders()  # a malformed pattern is refused when it is read

    def placeholders(self) -> set[str]:
        """The placeholders the pattern uses; InputError for anything else in braces."""
        try:
            fields = list(string.Formatter().parse(self.pattern))
        except ValueError as error:
            problem = f"{error}; write {{{{ or }}}} for a brace itself"
            raise InputError(self._problem(problem)) from None

        used = set()
        for _, name, spec, conversion in fields:
            if name is None:
                continue
            if name not in PLACEHOLDERS or conversion:
                shown = "{" + name + (f"!{conversion}" if conversion else "") + "}"
                raise InputError(self._problem(f"{shown} is not a placeholder"))
            used.add(name)
            try:
                format(1 if name == "index" else "x", spec or "")
            except ValueError as error:
                raise InputError(self._problem(f"{{{name}:{spec}}}: {error}")) from None
        return used

    def expand(self, host: str, label: str | None, index: int) -> Path:
        """The file name for one engine; host and label are made safe for a name."""
        safe_host = filename_safe(host)
        return Path(
            self.pattern.format(
                host=safe_host,
                label=filename_safe(label) if label else safe_host,
                index=index,
            )
        )

    def _problem(self, what: str) -> str:
        return (
            f"{self.option} {self.pattern!r}: {what} "
            "(placeholders: {host}, {label}, {index})"
        )


def filename_safe(text: str) -> str:
    """TEXT as one file name: letters, digits, '.', '-' and '_'; never hidden or empty.

    Every other run of characters becomes '_', so a host name can never name a
    folder or climb out of one ('../x' gives '_x').
    """
    safe = _UNSAFE.sub("_", text).lstrip(".-")[:_NAME_LIMIT]
    return safe or "engine"


@dataclass(frozen=True)
class Renamed:
    """A file that would have had another's name, and the name it got instead."""

    wanted: Path
    given: Path
    index: int


def disambiguate(
    wanted: Iterable[tuple[Path, int | None]],
) -> tuple[list[Path], list[Renamed]]:
    """Give every file its own name: those that clash get `-INDEX` before the suffix.

    WANTED holds (path, index of its engine) in order; files that hold every
    engine (index None) keep their name. Returns the names in the same order
    and what was renamed, to tell the user.
    """
    items = [(Path(path), index) for path, index in wanted]
    names = [path for path, _ in items]

    # A renamed file may meet yet another name; each round makes names longer,
    # and an engine's index is its own, so the rounds end.
    for _ in range(len(items) + 1):
        clashes = _clashes(names)
        movable = [i for i in clashes if items[i][1] is not None]
        if not movable:
            break
        for i in movable:
            index = items[i][1]
            assert index is not None
            names[i] = _with_index(names[i], index)

    if _clashes(names):
        shown = ", ".join(sorted({str(names[i]) for i in _clashes(names)}))
        raise InputError(f"two results files would have the same name: {shown}")
    renamed = [
        Renamed(path, name, index)
        for (path, index), name in zip(items, names, strict=True)
        if index is not None and name != path
    ]
    return names, renamed


def _clashes(names: Sequence[Path]) -> list[int]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        groups[os.path.normcase(os.path.abspath(name))].append(i)
    return sorted(i for group in groups.values() if len(group) > 1 for i in group)


def _with_index(path: Path, index: int) -> Path:
    return path.with_name(f"{path.stem}-{index}{path.suffix}")
