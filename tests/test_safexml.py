"""dockscap.safexml: hostile and broken input is refused with a clear message."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockscap import safexml
from dockscap.errors import InputError

SECRET = "dockscap-secret-d5f1c0"

DOCTYPE_REFUSED = (
    "has a DOCTYPE declaration, which dockscap refuses: a DTD can declare "
    "entities that read local files, reach the network or expand without bound"
)


def billion_laughs() -> bytes:
    """Ten levels of ten-fold entities: 10**9 "lol"s if anything expanded them."""
    declarations = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        body = f"&lol{level - 1};" * 10
        declarations.append(f'<!ENTITY lol{level} "{body}">')
    subset = "\n".join(declarations)
    document = f"<!DOCTYPE lolz [\n{subset}\n]>\n<lolz>&lol9;</lolz>\n"
    return b'<?xml version="1.0"?>\n' + document.encode()


def external_entity(url: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE Benchmark [\n<!ENTITY xxe SYSTEM "{url}">\n]>\n'
        "<Benchmark>&xxe;</Benchmark>\n"
    ).encode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


@pytest.fixture
def listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A real TCP listener on 127.0.0.1 that records every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()
    for connection in accepted:
        connection.close()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path: Path, what: str = "document") -> str:
    with pytest.raises(InputError) as caught:
        safexml.parse_xml_file(path, what=what)
    return str(caught.value)


def test_a_sound_document_parses_with_its_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ok.xml", b'<?xml version="1.0"?>\n<a>\n  <b x="1"/>\n</a>\n'
    )

    tree = safexml.parse_xml_file(path, what="document")

    assert tree.getroot().tag == "a"
    assert tree.getroot()[0].sourceline == 3


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.xml", b"", "empty.xml: the document is empty"),
        ("blank.xml", b"  \n\t\n", "blank.xml: the document is empty"),
        (
            "text.xml",
            b"hello, world\n",
            "text.xml:1: the document is not well-formed XML: "
            "Start tag expected, '<' not found",
        ),
        (
            "truncated.xml",
            b'<?xml version="1.0"?>\n<Benchmark>\n  <Rule id="a">\n',
            # libxml2 notices the end of the data on the line after the last.
            "truncated.xml:4: the document is not well-formed XML: "
            "Premature end of data in tag Rule line 3",
        ),
        (
            "mismatch.xml",
            b"<a>\n<b></c>\n</a>\n",
            "mismatch.xml:2: the document is not well-formed XML: "
            "Opening and ending tag mismatch: b line 2 and c",
        ),
        (
            "undeclared.xml",
            b"<a>\n&nbsp;</a>\n",
            "undeclared.xml:2: the document is not well-formed XML: "
            "Entity 'nbsp' not defined",
        ),
        (
            "laughs.xml",
            billion_laughs(),
            f"laughs.xml:2: the document {DOCTYPE_REFUSED}",
        ),
        (
            "bare-doctype.xml",
            b'<?xml version="1.0"?>\n\n<!DOCTYPE a>\n<a/>\n',
            f"bare-doctype.xml:3: the document {DOCTYPE_REFUSED}",
        ),
        (
            "external-dtd.xml",
            b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd">\n<a/>\n',
            f"external-dtd.xml:1: the document {DOCTYPE_REFUSED}",
        ),
        (
            "utf16.xml",
            '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE a>\n<a/>'.encode(
                "utf-16"
            ),
            # A byte search cannot find the line in UTF-16; lxml still refuses.
            f"utf16.xml: the document {DOCTYPE_REFUSED}",
        ),
    ],
)
def test_bad_xml_is_refused_with_file_line_and_reason(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = write(tmp_path, name, data)

    assert refusal(path) == f"{tmp_path}/{expected}"


def test_the_billion_laughs_are_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs.xml", billion_laughs())

    started = time.perf_counter()
    message = refusal(path)

    assert "DOCTYPE" in message
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("form", "line"), [("general", 2), ("parameter", 1), ("attribute", 1)]
)
def test_a_file_url_entity_is_never_read(
    tmp_path: Path, secret_file: Path, form: str, line: int
) -> None:
    url = secret_file.as_uri()
    documents = {
        "general": external_entity(url),
        "parameter": (
            f'<!DOCTYPE a [\n<!ENTITY % xxe SYSTEM "{url}">\n%xxe;\n]>\n<a/>\n'
        ).encode(),
        "attribute": (
            f'<!DOCTYPE a [\n<!ENTITY xxe SYSTEM "{url}">\n]>\n<a b="&xxe;"/>\n'
        ).encode(),
    }
    path = write(tmp_path, "xxe.xml", documents[form])

    message = refusal(path)

    assert message == f"{path}:{line}: the document {DOCTYPE_REFUSED}"
    assert SECRET not in message


def test_an_http_entity_makes_no_connection(
    tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, accepted = listener
    path = write(tmp_path, "xxe.xml", external_entity(f"http://127.0.0.1:{port}/x"))

    message = refusal(path)
    time.sleep(0.3)

    assert message == f"{path}:2: the document {DOCTYPE_REFUSED}"
    assert accepted == []


def test_the_listener_would_have_seen_a_connection(
    listener: tuple[int, list[socket.socket]],
) -> None:
    # Keeps the test above honest: the listener does record connections.
    port, accepted = listener

    socket.create_connection(("127.0.0.1", port)).close()
    time.sleep(0.3)

    assert len(accepted) == 1


def test_a_file_above_the_limit_is_refused_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with open(path, "wb") as stream:
        stream.truncate(safexml.MAX_BYTES + 1)

    assert refusal(path) == (
        f"{path}: the document is larger than 64 MiB; dockscap refuses files this large"
    )


def test_the_limit_is_inclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = b"<a>" + b" " * 93 + b"</a>"
    monkeypatch.setattr(safexml, "MAX_BYTES", len(document))
    at_limit = write(tmp_path, "at.xml", document)
    above = write(tmp_path, "above.xml", document + b"\n")

    assert safexml.parse_xml_file(at_limit, what="document").getroot().tag == "a"
    assert refusal(above) == (
        f"{above}: the document is larger than 100 bytes; "
        "dockscap refuses files this large"
    )


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing.xml"

    assert refusal(path, what="checklist") == (
        f"{path}: cannot read the checklist: No such file or directory"
    )


def test_a_directory_is_named(tmp_path: Path) -> None:
    assert refusal(tmp_path, what="checklist") == (
        f"{tmp_path}: cannot read the checklist: Is a directory"
    )


def test_each_error_reports_its_own_cause(tmp_path: Path) -> None:
    # libxml2 keeps a global error log; a second failure must not show the first.
    first = write(tmp_path, "first.xml", b"<a>\n<b></c></a>")
    second = write(tmp_path, "second.xml", b"hello")

    refusal(first)

    assert refusal(second) == (
        f"{second}:1: the document is not well-formed XML: "
        "Start tag expected, '<' not found"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", ": the checklist is empty"),
        (b"[1, 2]", ": the checklist is an array at its top level, not a JSON object"),
        (b'"text"', ": the checklist is a string at its top level, not a JSON object"),
        (b'{"a":\n  tru}', ":2: the checklist is not valid JSON: Expecting value"),
        (b'{"a": NaN}', ": the checklist is not valid JSON: NaN is not a JSON value"),
        (b'{"a": "\xff"}', ": the checklist is not valid JSON: it is not UTF-8 text"),
        (b"<CHECKLIST/>", ":1: the checklist is not valid JSON: Expecting value"),
        (b"[" * 100_000 + b"]" * 100_000, ": the checklist is nested too deeply"),
    ],
)
def test_bad_json_is_refused_with_the_reason(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = write(tmp_path, "x.cklb", data)

    with pytest.raises(InputError) as caught:
        safexml.parse_json_file(path, what="checklist")

    assert str(caught.value) == f"{path}{expected}"


def test_a_json_object_parses(tmp_path: Path) -> None:
    path = write(tmp_path, "x.cklb", b'{"title": "t", "stigs": []}')

    assert safexml.parse_json_file(path, what="checklist") == {
        "title": "t",
        "stigs": [],
    }
