"""The one way dockscap reads XML and JSON that a user hands in.

Files from users (`dockscap validate FILE`, `--stig FILE`, `--update-ckl FILE`,
tailoring files...) may be hostile. XML is parsed by lxml with every dangerous
feature off: no DTD is loaded, no entity is resolved, no network is reached and
libxml2's limits on huge documents stay on. A document that carries a DOCTYPE
declaration at all is refused before its body is parsed: SCAP documents and
checklists never need one, and a DTD is how entity attacks arrive (external
entities reading local files or URLs, entity expansion bombs). Input above
`MAX_BYTES` is refused before it is parsed.

Every error is an InputError whose message names the file, the line when there
is one, and what is wrong.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from lxml import etree

from dockscap.errors import InputError

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024 * 1024

# Neither a hostile nor a broken document can change these settings: they are
# passed to every parser dockscap builds for user input.
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}

_JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def read_limited(path: Path, *, what: str) -> bytes:
    """The bytes of `path`, refused when larger than MAX_BYTES."""
    try:
        with open(path, "rb") as stream:
            # Read one byte past the limit rather than trust stat(): pipes and
            # files that grow while we read have no reliable size.
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what}: {error.strerror}") from error

    if len(data) > MAX_BYTES:
        raise InputError(
            f"{path}: the {what} is larger than {_limit()}; "
            "dockscap refuses files this large"
        )
    return data


def parse_xml_file(path: Path, *, what: str) -> etree._ElementTree:
    """Parse a user's XML file safely; `what` names it in errors ("checklist")."""
    data = read_limited(path, what=what)
    return parse_xml_bytes(data, source=str(path), what=what)


def parse_xml_bytes(data: bytes, *, source: str, what: str) -> etree._ElementTree:
    """Parse XML held in memory as safely as parse_xml_file does a file."""
    _check_size(data, source=source, what=what)
    _refuse_doctype(data, source=source, what=what)

    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error, parser, source=source, what=what) from None

    log.debug("parsed %s (%d bytes) as XML", source, len(data))
    return root.getroottree()


def parse_json_file(path: Path, *, what: str) -> dict[str, Any]:
    """Parse a user's JSON file whose top level must be an object."""
    data = read_limited(path, what=what)
    return parse_json_bytes(data, source=str(path), what=what)


def parse_json_bytes(data: bytes, *, source: str, what: str) -> dict[str, Any]:
    """Parse JSON held in memory; the top level must be an object."""
    _check_size(data, source=source, what=what)

    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise InputError(
            f"{source}: the {what} is not valid JSON: it is not UTF-8 text"
        ) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{source}:{error.lineno}: the {what} is not valid JSON: {error.msg}"
        ) from None
    except ValueError as error:
        raise InputError(f"{source}: the {what} is not valid JSON: {error}") from None
    except RecursionError:
        raise InputError(f"{source}: the {what} is nested too deeply") from None

    if not isinstance(document, dict):
        kind = _JSON_TYPE_NAMES.get(type(document), type(document).__name__)
        raise InputError(
            f"{source}: the {what} is {kind} at its top level, not a JSON object"
        )
    log.debug("parsed %s (%d bytes) as JSON", source, len(data))
    return document


def _check_size(data: bytes, *, source: str, what: str) -> None:
    if len(data) > MAX_BYTES:
        raise InputError(
            f"{source}: the {what} is larger than {_limit()}; "
            "dockscap refuses input this large"
        )
    if not data.strip():
        raise InputError(f"{source}: the {what} is empty")


class _DoctypeFound(Exception):
    pass


class _RootReached(Exception):
    pass


class _PrologTarget:
    """A parser target that stops at the DOCTYPE or at the root element.

    libxml2 reports the DOCTYPE before it reads the internal subset, so a
    document is refused before any entity is even declared, let alone used.
    """

    def doctype(self, name: str, public_id: str | None, system_url: str | None) -> None:
        raise _DoctypeFound(name)

    def start(self, tag: str, attrib: Any, nsmap: Any = None) -> None:
        raise _RootReached()

    def end(self, tag: str) -> None:
        pass

    def data(self, data: str) -> None:
        pass

    def close(self) -> None:
        pass


def _refuse_doctype(data: bytes, *, source: str, what: str) -> None:
    parser = etree.XMLParser(target=_PrologTarget(), **_PARSER_OPTIONS)
    try:
        etree.fromstring(data, parser)
    except _RootReached:
        return
    except _DoctypeFound:
        where = _line_prefix(source, _doctype_line(data))
        raise InputError(
            f"{where}: the {what} has a DOCTYPE declaration, which dockscap refuses: "
            "a DTD can declare entities that read local files, reach the network "
            "or expand without bound"
        ) from None
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error, parser, source=source, what=what) from None


def _syntax_error(
    error: etree.XMLSyntaxError, parser: etree.XMLParser, *, source: str, what: str
) -> InputError:
    # The parser's own log holds this parse's first error, which is the cause;
    # the exception's message repeats the line and column in prose.
    first = parser.error_log[0] if len(parser.error_log) else None
    message = first.message if first is not None else error.msg
    line = first.line if first is not None else error.lineno
    where = _line_prefix(source, line)
    return InputError(f"{where}: the {what} is not well-formed XML: {message}")


def _doctype_line(data: bytes) -> int | None:
    offset = data.find(b"<!DOCTYPE")
    if offset < 0:
        # Not ASCII-compatible (UTF-16): lxml knew, a byte search does not.
        return None
    return data.count(b"\n", 0, offset) + 1


def _limit() -> str:
    mebibyte = 1024 * 1024
    if MAX_BYTES % mebibyte:
        return f"{MAX_BYTES} bytes"
    return f"{MAX_BYTES // mebibyte} MiB"


def _line_prefix(source: str, line: int | None) -> str:
    return source if not line else f"{source}:{line}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
