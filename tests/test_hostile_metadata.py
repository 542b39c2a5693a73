"""Hostile text from the engine: every output parses, validates and reads back.

Container names, images, labels and the engine host's name are whatever the
engine reports. hypothesis puts arbitrary text there (XML specials, any Unicode
plane, characters XML 1.0 forbids, control characters, rich markup, `]]>`,
`</script>`) and every writer must still produce a document that parses and
validates, in which text XML can hold reads back exactly as it was (escaped
once: `&amp;` stays `&amp;`, `&` stays `&`), and what XML cannot hold is
replaced by U+FFFD with a log line saying so. JSON holds any text and reads
back unchanged; the terminal shows it as text, never as markup or escapes.

The property tests use hand-built scans (tests/hand_scans.py); the last test
puts hostile labels on a container of a real engine.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fault_proxy import fault_proxy
from hand_scans import container, scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from private_engine import IMAGE, PrivateEngine
from rich.console import Console

from dockscap.cli import main
from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.ckl import render_ckl
from dockscap.evaluator.cklb import render_cklb
from dockscap.evaluator.json_output import render_json
from dockscap.evaluator.report import render_report
from dockscap.evaluator.results import EngineScan
from dockscap.evaluator.summary import print_summary
from dockscap.evaluator.xccdf_results import render_xccdf_results
from dockscap.schemas import assert_valid

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
AI = "http://scap.nist.gov/schema/asset-identification/1.1"
HTML = ""  # the report is polyglot HTML, in no namespace
COMPOSE_PROJECT = "com.docker.compose.project"
REPLACED = "character(s) XML 1.0 forbids"

# Few examples, always the same ones: the suite runs on two shared cores, and
# a failure must come back on the next run.
PROPERTY = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        # caplog is emptied at the start of every example
        HealthCheck.function_scoped_fixture,
    ],
)

NASTY = [
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "'",
    '"',
    "]]>",
    "<![CDATA[",
    "</script>",
    "<script>alert(1)</script>",
    "<!--",
    "-->",
    "[bold]",
    "[/]",
    "[link=file:///etc/passwd]x[/link]",
    "{{ 7*7 }}",
    "%s%n",
    "\x00",
    "\x01",
    "\x08",
    "\x1b[2J",
    "\x7f",
    "\x85",
    "\r\n",
    "\r",
    "\t",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\U0001f600",
    "\U0010ffff",
    "\u202e",
    " ",
]

# Any code point but lone surrogates, which no text holds: the engine module
# replaces them in the engine's answers (test_a_real_engine_s_hostile_labels).
ANY_CHARACTER = st.characters(
    min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)
)
hostile = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(ANY_CHARACTER, max_size=8)),
    min_size=1,
    max_size=6,
).map("".join)


def xml_text(text: str) -> str:
    """TEXT as XML 1.0 can hold it: every character outside its Char production
    (section 2.2) replaced by U+FFFD."""
    return "".join(char if _xml_char(ord(char)) else "\ufffd" for char in text)


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def hostile_scan(name: str, image: str, label: str, host: str) -> EngineScan:
    """A failing, an undecided and a passing container, all named from the text;
    the engine's host facts (name, system, kernel, versions) are HOST."""
    labels = {COMPOSE_PROJECT: label, f"x.{label}": label}
    scanned = scan(
        [
            container(f"w{name}", False, image=image, labels=labels),
            container(f"e{name}", None, image=image, labels=labels),
            container(f"p{name}", True, image=image, labels=labels),
        ],
        engine=host,
        vanished=[f"v{name}"],
    )
    engine = dataclasses.replace(
        scanned.engine,
        operating_system=host,
        kernel_version=host,
        architecture=host,
        engine_version=host,
    )
    return dataclasses.replace(scanned, engine=engine)


@pytest.fixture
def replaced(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="dockscap")
    yield caplog


def _assert_logged_when_replaced(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    forbidden = any(xml_text(text) != text for text in texts)
    logged = [r for r in caplog.records if REPLACED in r.getMessage()]
    assert bool(logged) == forbidden, [r.getMessage() for r in logged]
    caplog.clear()


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser)


@PROPERTY
@given(name=hostile, image=hostile, label=hostile, host=hostile)
def test_xccdf_results_read_back(
    replaced: pytest.LogCaptureFixture, name: str, image: str, label: str, host: str
) -> None:
    replaced.clear()
    data = render_xccdf_results(hostile_scan(name, image, label, host))

    assert_valid(data, source="hostile XCCDF")
    root = _parse(data)
    assert root.findtext(f".//{XCCDF}target") == xml_text(host)
    facts = {f.get("name"): f.text for f in root.iter(f"{XCCDF}fact")}
    assert facts["urn:xccdf:fact:asset:identifier:os_name"] == xml_text(host)
    message = root.findtext(f".//{XCCDF}message") or ""
    for line in (
        f"- {xml_text(f'w{name}')} (",
        f", image {xml_text(image)}, ",
        f"compose project {xml_text(label)} service",
        f"- {xml_text(f'v{name}')}",
    ):
        assert line in message
    _assert_logged_when_replaced(replaced, name, image, label, host)


@PROPERTY
@given(name=hostile, host=hostile)
def test_arf_reads_back(
    replaced: pytest.LogCaptureFixture, name: str, host: str
) -> None:
    replaced.clear()
    data = render_arf([hostile_scan(name, "img", "p", host)])

    assert_valid(data, source="hostile ARF")
    root = _parse(data)
    assert root.findtext(f".//{XCCDF}target") == xml_text(host)
    assert f"- {xml_text(f'w{name}')} (" in (root.findtext(f".//{XCCDF}message") or "")
    _assert_logged_when_replaced(replaced, name, host)


@PROPERTY
@given(name=hostile, image=hostile, host=hostile)
def test_ckl_reads_back_and_meets_disas_schema(
    replaced: pytest.LogCaptureFixture,
    reference: Path,
    name: str,
    image: str,
    host: str,
) -> None:
    replaced.clear()
    data = render_ckl(hostile_scan(name, image, "p", host))

    assert_valid(data, source="hostile CKL", ckl_schema=_ckl_schema(reference))
    root = _parse(data)
    assert root.findtext("ASSET/HOST_NAME") == xml_text(host)
    details = "\n".join(d.text or "" for d in root.iter("FINDING_DETAILS"))
    assert f"- {xml_text(f'w{name}')} (" in details
    assert f", image {xml_text(image)}, " in details
    _assert_logged_when_replaced(replaced, name, image, host)


@PROPERTY
@given(name=hostile, image=hostile, host=hostile)
def test_cklb_reads_back(name: str, image: str, host: str) -> None:
    document = json.loads(render_cklb(hostile_scan(name, image, "p", host)))

    assert document["target_data"]["host_name"] == xml_text(host)
    details = "\n".join(r["finding_details"] for r in document["stigs"][0]["rules"])
    assert f"- {xml_text(f'w{name}')} (" in details


@PROPERTY
@given(name=hostile, image=hostile, label=hostile, host=hostile)
def test_html_report_reads_back(
    replaced: pytest.LogCaptureFixture, name: str, image: str, label: str, host: str
) -> None:
    replaced.clear()
    root = _parse(render_report([hostile_scan(name, image, label, host)]))

    names = [
        "".join(div.itertext())
        for div in root.iter(f"{HTML}div")
        if div.get("class") == "name"
    ]
    assert sorted(names) == sorted(xml_text(f"{kind}{name}") for kind in "wep")
    assert xml_text(host) in ["".join(h2.itertext()) for h2 in root.iter(f"{HTML}h2")]
    assert root.find(f".//{HTML}script[@src]") is None  # nothing can be injected
    _assert_logged_when_replaced(replaced, name, image, label, host)


@PROPERTY
@given(name=hostile, image=hostile, label=hostile, host=hostile)
def test_json_reads_back_unchanged(
    name: str, image: str, label: str, host: str
) -> None:
    document = json.loads(render_json([hostile_scan(name, image, label, host)]))

    (entry,) = document["hosts"]
    assert entry["engine"]["name"] == host
    assert entry["vanished"] == [f"v{name}"]
    by_name = {c["name"]: c for c in entry["containers"]}
    assert set(by_name) == {f"w{name}", f"e{name}", f"p{name}"}
    for item in by_name.values():
        assert item["image"] == image
        assert item["labels"] == {COMPOSE_PROJECT: label, f"x.{label}": label}
        assert item["compose_project"] == label


@PROPERTY
@given(name=hostile, image=hostile, host=hostile)
def test_the_summary_shows_text_not_markup_or_control_characters(
    name: str, image: str, host: str
) -> None:
    out = io.StringIO()
    print_summary(
        hostile_scan(name, image, "p", host),
        Console(file=out, width=100, color_system=None),
    )

    text = out.getvalue()
    controls = [
        c for c in text if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)
    ]
    assert controls == []
    for shown in (_visible(f"w{name}"), _visible(f"e{name}"), _visible(image)):
        assert shown in text


def _visible(text: str) -> str:
    """How the summary must show TEXT: control, format, surrogate, private-use and
    unassigned characters as escapes (\\x1b, \\u200b), everything else as it is."""
    shown = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            code = ord(char)
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            shown.append(char)
    return "".join(shown)


def test_very_long_text_reads_back_everywhere(reference: Path) -> None:
    long = ("<&>]]>\x01" + "\U0001f600" * 3 + "x" * 2000) * 50  # about 100,000
    hostile = hostile_scan(long, long, long, "host")

    xccdf = _parse(render_xccdf_results(hostile))
    ckl = _parse(render_ckl(hostile))
    report = _parse(render_report([hostile]))
    document = json.loads(render_json([hostile]))

    assert f"- {xml_text('w' + long)} (" in (xccdf.findtext(f".//{XCCDF}message") or "")
    details = "\n".join(d.text or "" for d in ckl.iter("FINDING_DETAILS"))
    assert f"- {xml_text('w' + long)} (" in details
    assert xml_text("w" + long) in ["".join(d.itertext()) for d in report.iter("div")]
    assert {c["image"] for c in document["hosts"][0]["containers"]} == {long}


# What a real engine takes in labels, and a host name and a container name
# that only a canned answer can carry (a lone surrogate, as a JSON escape).
REAL_LABELS = {
    "com.docker.compose.project": "shop <&> ]]> </script> [bold]red[/bold]",
    "com.docker.compose.service": "web\x01\x1b[2J\U0001f600",
    "note": "&amp; &#0; <!-- --> \"'\ufffe\u202e",
}
CANNED_HOST = "host<&>\x00\U0001f600"


def test_a_real_engine_s_hostile_labels_read_back_in_every_output(
    engine: PrivateEngine, tmp_path: Path, reference: Path
) -> None:
    with engine.client() as client:
        client.containers.create(
            IMAGE, ["true"], name="hostile-labels", labels=REAL_LABELS
        )

    def canned(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
        if path.endswith("/info"):
            info = json.loads(body)
            info["Name"] = CANNED_HOST
            return status, json.dumps(info).encode()
        if path.endswith("/json") and "/containers/" in path and "?" not in path:
            return status, body.replace(b'"/hostile-labels"', b'"/hostile\\ud800"')
        return status, body

    short = Path(tempfile.mkdtemp(prefix="dsh-", dir="/tmp"))
    files = {
        option: tmp_path / name
        for option, name in (
            ("--results-arf", "arf.xml"),
            ("--results", "xccdf.xml"),
            ("--ckl", "r.ckl"),
            ("--cklb", "r.cklb"),
            ("--report", "r.html"),
            ("--json", "r.json"),
        )
    }
    arguments = [item for pair in files.items() for item in map(str, pair)]
    log = tmp_path / "dockscap.log"
    try:
        with fault_proxy(short / "p.sock", engine.socket, rewrite=canned) as proxy:
            run = CliRunner().invoke(
                main,
                ["--log-file", str(log), "evaluate", "--host", proxy.url, *arguments],
            )
    finally:
        shutil.rmtree(short, ignore_errors=True)

    assert run.exit_code == 2, run.output
    name = "hostile\ufffd"  # the lone surrogate replaced at the engine boundary
    host = xml_text(CANNED_HOST)
    project = REAL_LABELS["com.docker.compose.project"]
    service = xml_text(REAL_LABELS["com.docker.compose.service"])
    owner = f"compose project {project} service {service}"

    for option in ("--results-arf", "--results"):
        assert_valid(files[option].read_bytes(), source=option)
        root = _parse(files[option].read_bytes())
        assert root.findtext(f".//{XCCDF}target") == host
        message = root.findtext(f".//{XCCDF}message") or ""
        assert f"- {name} (" in message and owner in message
    ckl = files["--ckl"].read_bytes()
    assert_valid(ckl, source="CKL", ckl_schema=_ckl_schema(reference))
    root = _parse(ckl)
    assert root.findtext("ASSET/HOST_NAME") == host
    assert owner in "\n".join(d.text or "" for d in root.iter("FINDING_DETAILS"))
    cklb = json.loads(files["--cklb"].read_text())
    assert cklb["target_data"]["host_name"] == host
    report = _parse(files["--report"].read_bytes())
    assert name in ["".join(div.itertext()) for div in report.iter("div")]
    (entry,) = json.loads(files["--json"].read_text())["hosts"][0]["containers"]
    assert entry["labels"] == REAL_LABELS
    assert entry["name"] == name
    assert "Host: host<&>\\x00\U0001f600" in run.stdout  # as text, made visible
    logged = log.read_text()
    assert "replaced 1 lone surrogate(s) in the answer to GET" in logged
    assert "character(s) XML 1.0 forbids in the target" in logged


def _ckl_schema(reference: Path) -> Path:
    return reference / "checklist" / "U_Checklist_Schema_V2.xsd"


# Host names against AI 1.1's hostname pattern as XML Schema reads \w (every
# character but punctuation, separators and others): the ARF names the host
# only where the pattern holds, and is valid either way.
AI_HOSTNAMES = {
    "web01.example.mil": True,
    "hôte-1": True,
    "x²": True,
    "host$x": True,  # a symbol: a word character to XML Schema
    "my_host": False,  # the underscore is punctuation to XML Schema
    "a..b": False,
    "host name": False,
    "<&>": False,
}


@pytest.mark.parametrize("host", AI_HOSTNAMES)
def test_the_arf_names_the_host_only_where_ai_allows(host: str) -> None:
    data = render_arf([hostile_scan("c", "img", "p", host)])

    assert_valid(data, source=f"ARF of {host!r}")
    hostnames = [e.text for e in _parse(data).iter(f"{{{AI}}}hostname")]
    assert hostnames == ([host] if AI_HOSTNAMES[host] else [])
