"""`dockscap validate`, run in process: what it prints and the exit code."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schema_samples as samples
from click.testing import CliRunner, Result
from conftest import require
from hand_scans import container
from hand_scans import scan as hand_scan
from lxml import etree
from test_safexml import DOCTYPE_REFUSED, SECRET, billion_laughs, external_entity

from dockscap import safexml
from dockscap.cli import main
from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.ckl import render_ckl
from dockscap.evaluator.cklb import render_cklb
from dockscap.evaluator.json_output import render_json
from dockscap.evaluator.report import render_report
from dockscap.evaluator.xccdf_results import render_xccdf_results

OPENSCAP_SCHEMAS = Path("/usr/share/openscap/schemas")

KINDS = (
    "expected one of: XCCDF 1.2 Benchmark, XCCDF 1.2 TestResult, XCCDF 1.2 "
    "Tailoring, XCCDF 1.1 Benchmark, OVAL definitions, CPE 2.3 dictionary, SCAP 1.3 "
    "source data stream, ARF 1.1 asset report collection, STIG Viewer checklist "
    "(CKL); or a CKLB checklist, dockscap's JSON results or dockscap's HTML report"
)


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[list[tuple[Any, ...]]]:
    """No test here may reach the network: every attempt fails and is recorded."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the network is cut off in test_validate_command")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        yield attempts
    assert attempts == []


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    require(
        OPENSCAP_SCHEMAS.is_dir(),
        f"{OPENSCAP_SCHEMAS} is missing (Debian package openscap-common)",
    )
    monkeypatch.delenv("DOCKSCAP_SCHEMAS", raising=False)
    monkeypatch.delenv("DOCKSCAP_CKL_SCHEMA", raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["validate", *args], env=env)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_valid_files_each_get_a_line_and_exit_0(tmp_path: Path) -> None:
    xccdf = write(tmp_path, "x-xccdf.xml", samples.serialize(samples.xccdf_benchmark()))
    cpe = write(tmp_path, "x-cpe.xml", samples.serialize(samples.cpe_dictionary()))

    result = run(str(xccdf), str(cpe))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"{xccdf}: valid (XCCDF 1.2 Benchmark)\n{cpe}: valid (CPE 2.3 dictionary)\n"
    )


def test_each_problem_is_a_line_with_file_line_and_path(tmp_path: Path) -> None:
    benchmark = samples.xccdf_benchmark(with_testresult=True)
    benchmark.find(".//{*}Rule").set("severity", "catastrophic")
    benchmark.find(".//{*}rule-result/{*}result").text = "maybe"
    data = samples.serialize(benchmark)
    path = write(tmp_path, "broken.xml", data)
    lines = data.decode().splitlines()
    rule_line = next(i for i, line in enumerate(lines, 1) if "catastrophic" in line)
    result_line = next(i for i, line in enumerate(lines, 1) if ">maybe<" in line)

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"{path}:{rule_line}: /Benchmark/Rule: attribute severity='catastrophic': "
        "value must be one of ['unknown', 'info', 'low', 'medium', 'high']",
        f"{path}:{result_line}: /Benchmark/TestResult/rule-result/result: value must "
        "be one of ['pass', 'fail', 'error', 'unknown', 'notapplicable', "
        "'notchecked', 'notselected', 'informational', 'fixed'] (found 'maybe')",
    ]


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.xml", b"")
    good = write(tmp_path, "good.xml", samples.serialize(samples.xccdf_benchmark()))

    result = run(str(empty), str(good))

    assert result.exit_code == 1
    assert result.stderr == f"Error: {empty}: the document is empty\n"
    assert result.stdout == f"{good}: valid (XCCDF 1.2 Benchmark)\n"


WRONG_ROOT = (
    b'<?xml version="1.0"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'
)

# The sample Benchmark cut off after its Rule's start tag, on line 6.
_BENCHMARK = samples.serialize(samples.xccdf_benchmark())
TRUNCATED = _BENCHMARK[: _BENCHMARK.index(b"<title>Sample rule")]

BAD_INPUT = [
    (
        "not-xml",
        b"this is not XML\n",
        ":1: the document is not well-formed XML: Start tag expected, '<' not found",
    ),
    (
        "wrong-root",
        WRONG_ROOT,
        ":2: the root element {http://www.w3.org/2001/XMLSchema}schema is not a "
        f"document dockscap validates ({KINDS})",
    ),
    (
        "xxe-file",
        external_entity("file:///etc/passwd"),
        f":2: the document {DOCTYPE_REFUSED}",
    ),
    (
        "xxe-http",
        external_entity("http://127.0.0.1:9/entity"),
        f":2: the document {DOCTYPE_REFUSED}",
    ),
    ("billion-laughs", billion_laughs(), f":2: the document {DOCTYPE_REFUSED}"),
    (
        "truncated",
        TRUNCATED,
        ":7: the document is not well-formed XML: "
        "Premature end of data in tag Rule line 6",
    ),
    ("empty", b"", ": the document is empty"),
    (
        "json-array",
        b'[{"title": "x"}]',
        ": the document is an array at its top level, not a JSON object",
    ),
    (
        "json-null",
        b"null\n",
        ": the document is null at its top level, not a JSON object",
    ),
    (
        "json-number",
        b" 3",
        ": the document is a number at its top level, not a JSON object",
    ),
    (
        "plain-text",
        b"hello",
        ":1: the document is not well-formed XML: Start tag expected, '<' not found",
    ),
    (
        "broken-json",
        b'{"title": "x",\n "stigs": [}',
        ":2: the document is not valid JSON: Expecting value",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [entry[1:] for entry in BAD_INPUT],
    ids=[entry[0] for entry in BAD_INPUT],
)
def test_bad_input_is_one_error_line_and_exit_1(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write(tmp_path, "input.xml", data)

    result = run(str(path))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}{message}\n"


def test_a_file_url_entity_never_shows_the_file(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", SECRET.encode())
    path = write(tmp_path, "xxe.xml", external_entity(secret.as_uri()))

    result = run(str(path))

    assert result.exit_code == 1
    assert SECRET not in result.output


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with open(path, "wb") as stream:
        stream.write(b"<a>")
        stream.truncate(safexml.MAX_BYTES + 1)

    result = run(str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {path}: the document is larger than 64 MiB; "
        "dockscap refuses files this large\n"
    )


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.xml"

    result = run(str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {path}: cannot read the document: No such file or directory\n"
    )


def test_a_missing_schema_directory_says_how_to_install_it(tmp_path: Path) -> None:
    path = write(tmp_path, "x.xml", samples.serialize(samples.xccdf_benchmark()))
    nowhere = tmp_path / "nowhere"

    result = run("--schemas", str(nowhere), str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {path}: the official SCAP schemas are not available: {nowhere} is "
        "not a directory; install them with `apt-get install openscap-common`, or "
        "set DOCKSCAP_SCHEMAS to a directory that holds them (dockscap validate "
        "also takes --schemas DIR)\n"
    )


def test_the_schema_directory_can_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "x.xml", samples.serialize(samples.xccdf_benchmark()))

    result = run(str(path), env={"DOCKSCAP_SCHEMAS": str(tmp_path / "nowhere")})

    assert result.exit_code == 1
    assert "the official SCAP schemas are not available" in result.stderr


def test_a_ckl_validates_against_the_schema_the_user_names(reference: Path) -> None:
    checklist = reference / "checklist"
    ckl = checklist / "example-stigviewer-2.17.ckl"
    xsd = checklist / "U_Checklist_Schema_V2.xsd"

    by_option = run("--ckl-schema", str(xsd), str(ckl))
    by_environment = run(str(ckl), env={"DOCKSCAP_CKL_SCHEMA": str(xsd)})

    expected = f"{ckl}: valid (STIG Viewer checklist (CKL))\n"
    assert (by_option.exit_code, by_option.stdout) == (0, expected)
    assert (by_environment.exit_code, by_environment.stdout) == (0, expected)


def test_a_cklb_gets_its_structural_check(reference: Path, tmp_path: Path) -> None:
    good = reference / "checklist" / "example-evaluate-stig.cklb"
    bad = write(
        tmp_path,
        "bad.cklb",
        good.read_bytes().replace(b'"status": "not_a_finding"', b'"status": "Open"', 1),
    )

    result = run(str(good), str(bad))

    assert result.exit_code == 1
    assert result.stdout == (
        f"{good}: valid (STIG Viewer 3 checklist (CKLB, structural check))\n"
        f"{bad}: stigs[0].rules[0].status: 'Open' is not a CKLB status "
        "(not_a_finding, open, not_applicable, not_reviewed)\n"
    )


def test_help_names_the_options_and_every_kind() -> None:
    result = CliRunner().invoke(main, ["validate", "--help"])
    text = " ".join(result.stdout.split())

    assert result.exit_code == 0
    assert "--schemas" in text
    assert "--ckl-schema" in text
    for kind in (
        "XCCDF 1.2 Benchmark, TestResult or Tailoring",
        "XCCDF 1.1 Benchmark",
        "OVAL definitions",
        "CPE 2.3 dictionary",
        "SCAP 1.3 source data stream",
        "ARF 1.1 asset report collection",
        "STIG Viewer checklist (CKL)",
        "STIG Viewer 3 checklist (CKLB)",
        "dockscap JSON results",
        "dockscap HTML report",
    ):
        assert kind in text, kind


def test_no_file_is_a_usage_error() -> None:
    result = run()

    assert result.exit_code == 1
    assert "Missing argument 'FILES...'" in result.stderr


# --- The files a run writes, made by dockscap's own writers ----------------------

# DESIGN.md: the V2R2 Rule id of DKER-EE-002030, the release a scan defaults to.
RULE_ID = "SV-235808r960963_rule"

CKL_STRUCTURAL = (
    "valid (STIG Viewer checklist (CKL), structural check; name DISA's "
    "U_Checklist_Schema_V2.xsd with --ckl-schema for full validation)"
)
SELF_CONTAINED = (
    "refers outside the page, which must be self-contained "
    "(only #fragments and data: URLs)"
)


@pytest.fixture(scope="module")
def run_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What `make run` writes into out/, from one engine with mixed containers."""
    scan = hand_scan(
        [container("web", False), container("db", True), container("odd", "yes")]
    )
    out = tmp_path_factory.mktemp("out")
    files = {
        "arf.xml": render_arf([scan]),
        "xccdf-results.xml": render_xccdf_results(scan),
        "checklist.ckl": render_ckl(scan),
        "checklist.cklb": render_cklb(scan),
        "report.html": render_report([scan]),
        "results.json": render_json([scan]),
    }
    return {name: write(out, name, data) for name, data in files.items()}


def test_every_file_a_run_writes_is_valid(run_files: dict[str, Path]) -> None:
    result = run(*(str(path) for path in run_files.values()))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{run_files['arf.xml']}: valid (ARF 1.1 asset report collection)",
        f"{run_files['xccdf-results.xml']}: valid (XCCDF 1.2 Benchmark with "
        "TestResult)",
        f"{run_files['checklist.ckl']}: {CKL_STRUCTURAL}",
        f"{run_files['checklist.cklb']}: valid (STIG Viewer 3 checklist (CKLB, "
        "structural check))",
        f"{run_files['report.html']}: valid (dockscap HTML report, well-formed and "
        "self-contained)",
        f"{run_files['results.json']}: valid (dockscap JSON results, schema_version 1)",
    ]


def test_the_runs_ckl_is_valid_against_disas_schema_when_named(
    run_files: dict[str, Path], reference: Path
) -> None:
    xsd = reference / "checklist" / "U_Checklist_Schema_V2.xsd"
    ckl = run_files["checklist.ckl"]

    result = run("--ckl-schema", str(xsd), str(ckl))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{ckl}: valid (STIG Viewer checklist (CKL))\n"


def line_of(data: bytes, needle: bytes) -> int:
    """The line of the only occurrence of NEEDLE, counted here, not by a parser."""
    assert data.count(needle) == 1, needle
    return data[: data.index(needle)].count(b"\n") + 1


def test_json_results_with_a_wrong_type_name_the_json_path(
    run_files: dict[str, Path], tmp_path: Path
) -> None:
    document = json.loads(run_files["results.json"].read_bytes())
    document["hosts"][0]["counts"]["checked"] = "three"
    del document["generated"]
    path = write(tmp_path, "results.json", json.dumps(document).encode())

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"{path}: (top): 'generated' is a required property",
        f"{path}: hosts[0].counts.checked: 'three' is not of type 'integer'",
    ]


def test_a_json_document_of_no_known_kind_is_one_error_line(tmp_path: Path) -> None:
    path = write(tmp_path, "other.json", b'{"schema_version": 1, "tool": "x"}')

    result = run(str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {path}: the JSON document is neither a CKLB checklist (with "
        "cklb_version, stigs and target_data) nor dockscap's JSON results (with "
        'schema_version and tool.name "dockscap"), the JSON documents dockscap '
        "validates\n"
    )


def test_a_ckl_missing_status_is_named_with_line_and_path(
    run_files: dict[str, Path], tmp_path: Path
) -> None:
    tree = etree.parse(str(run_files["checklist.ckl"]))
    status = tree.find("STIGS/iSTIG/VULN/STATUS")
    status.getparent().remove(status)
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    path = write(tmp_path, "checklist.ckl", data)

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == (
        f"{path}:{line_of(data, b'<VULN>')}: /CHECKLIST/STIGS/iSTIG/VULN: "
        f"{RULE_ID}: STATUS missing\n"
    )


def test_a_ckl_status_outside_the_vocabulary_is_named(
    run_files: dict[str, Path], tmp_path: Path
) -> None:
    data = run_files["checklist.ckl"].read_bytes()
    data = data.replace(b"<STATUS>Open</STATUS>", b"<STATUS>Fixed</STATUS>")
    path = write(tmp_path, "checklist.ckl", data)

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == (
        f"{path}:{line_of(data, b'<STATUS>')}: /CHECKLIST/STIGS/iSTIG/VULN/STATUS: "
        f"{RULE_ID}: STATUS 'Fixed' is not one of NotAFinding, Open, "
        "Not_Applicable, Not_Reviewed\n"
    )


def _insert(before: bytes, text: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(before, text + before, 1)


BROKEN_REPORTS = [
    (
        "external-script",
        _insert(b"</head>", b'<script src="https://cdn.example.com/sort.js"/>'),
        b"cdn.example.com",
        "/html/head/script",
        f"src='https://cdn.example.com/sort.js' {SELF_CONTAINED}",
    ),
    (
        "network-path-style-sheet",
        _insert(b"</head>", b'<link rel="stylesheet" href="//cdn.example.com/s.css"/>'),
        b"cdn.example.com",
        "/html/head/link",
        f"href='//cdn.example.com/s.css' {SELF_CONTAINED}",
    ),
    (
        "file-image",
        _insert(b"</main>", b'<img alt="" src=" FILE:///etc/passwd"/>'),
        b"/etc/passwd",
        "/html/body/main/img",
        f"src=' FILE:///etc/passwd' {SELF_CONTAINED}",
    ),
    (
        "css-import",
        _insert(b"</head>", b'<style>@import "theme.css";</style>'),
        b"theme.css",
        "/html/head/style[2]",
        "CSS @import loads a style sheet from outside the page",
    ),
    (
        "other-generator",
        lambda data: data.replace(b'content="dockscap ', b'content="lookalike ', 1),
        b"lookalike",
        "/html/head/meta[3]",
        None,
    ),
]


@pytest.mark.parametrize(
    ("change", "marker", "where", "message"),
    [entry[1:] for entry in BROKEN_REPORTS],
    ids=[entry[0] for entry in BROKEN_REPORTS],
)
def test_a_broken_html_report_is_named_with_line_and_path(
    run_files: dict[str, Path],
    tmp_path: Path,
    change: Callable[[bytes], bytes],
    marker: bytes,
    where: str,
    message: str | None,
) -> None:
    data = change(run_files["report.html"].read_bytes())
    path = write(tmp_path, "report.html", data)
    if message is None:
        generator = data[data.index(b"lookalike") :].split(b'"')[0].decode()
        message = f"the generator is {generator!r}, not dockscap: " + (
            "not a report dockscap wrote"
        )

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == f"{path}:{line_of(data, marker)}: {where}: {message}\n"


def test_a_report_without_the_generator_is_not_dockscaps(
    run_files: dict[str, Path], tmp_path: Path
) -> None:
    original = run_files["report.html"].read_bytes()
    start = original.index(b'<meta name="generator"')
    end = original.index(b"/>", start) + 2
    data = original[:start] + original[end:]
    path = write(tmp_path, "report.html", data)

    result = run(str(path))

    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == (
        f'{path}:{line_of(data, b"<html")}: /html: no <meta name="generator" '
        'content="dockscap VERSION">: not a report dockscap wrote\n'
    )


REFUSED_HTML = [
    (
        "entity-in-html5-doctype",
        b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<html/>',
        f":1: the document {DOCTYPE_REFUSED}",
    ),
    (
        "xhtml-doctype",
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html/>',
        f":1: the document {DOCTYPE_REFUSED}",
    ),
    (
        "second-doctype",
        b'<!DOCTYPE html>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<html/>',
        f":2: the HTML report {DOCTYPE_REFUSED}",
    ),
    (
        "not-well-formed",
        b"<!DOCTYPE html>\n<html><body><p>open</body></html>",
        ":2: the HTML report is not well-formed XML: "
        "Opening and ending tag mismatch: p line 2 and body",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [entry[1:] for entry in REFUSED_HTML],
    ids=[entry[0] for entry in REFUSED_HTML],
)
def test_only_the_html5_doctype_is_let_through(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write(tmp_path, "report.html", data)

    result = run(str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {path}{message}\n"
