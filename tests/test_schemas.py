"""dockscap.schemas: offline validation against the official schemas.

Every document is checked twice: by dockscap, and by OpenSCAP's own validator
(`oscap ... validate`, libxml2 on the same XSDs), which must agree. Every
schema in this module is compiled with the network cut off.
"""

from __future__ import annotations

import copy
import json
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schema_samples as samples
from conftest import require
from lxml import etree

from dockscap.errors import InputError, InvalidDocumentError, SchemaError
from dockscap.namespaces import (
    AI,
    DS,
    OVAL_DEFINITIONS,
    OVAL_INDEPENDENT,
    XCCDF_11,
    XCCDF_12,
    XSI,
)
from dockscap.schemas import (
    Problem,
    assert_valid,
    assert_valid_cklb,
    kinds,
    load_schema,
    schema_dir,
    validate,
    validate_cklb,
    validate_file,
    validation,
)
from dockscap.schemas import catalog as catalog_module

OPENSCAP_SCHEMAS = Path("/usr/share/openscap/schemas")
X = f"{{{XCCDF_12}}}"
OVAL = f"{{{OVAL_DEFINITIONS}}}"
IND = f"{{{OVAL_INDEPENDENT}}}"

# oscap's validators for each kind, XML Schema only where oscap can skip the
# Schematron rules (dockscap checks the XSDs, not Schematron).
OSCAP_XCCDF = ("xccdf", "validate", "--skip-schematron")
OSCAP_OVAL = ("oval", "validate", "--skip-schematron")
OSCAP_CPE = ("cpe", "validate")
OSCAP_DS = ("ds", "sds-validate")
OSCAP_ARF = ("ds", "rds-validate")


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[list[tuple[Any, ...]]]:
    """Cut the network for this module and compile every schema set afresh under it."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the network is cut off in test_schemas")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        validation._compiled.cache_clear()
        validation._ckl_compiled.cache_clear()
        yield attempts


@pytest.fixture(scope="module")
def schemas() -> Path:
    require(
        OPENSCAP_SCHEMAS.is_dir(),
        f"{OPENSCAP_SCHEMAS} is missing (Debian package openscap-common)",
    )
    return OPENSCAP_SCHEMAS


def oscap_accepts(
    oscap: str, command: tuple[str, ...], data: bytes, tmp_path: Path
) -> bool:
    path = tmp_path / "oscap-input.xml"
    path.write_bytes(data)
    run = subprocess.run(
        [oscap, *command, str(path)], capture_output=True, text=True, check=False
    )
    return run.returncode == 0


def line_of(data: bytes, marker: str) -> int:
    """The line of `data` that holds `marker` (its last one after "last:"),
    found without any validator."""
    if marker.startswith("last:"):
        offset = data.rindex(marker[len("last:") :].encode())
    else:
        offset = data.index(marker.encode())
    return data.count(b"\n", 0, offset) + 1


# --- Valid documents of every kind ------------------------------------------------

VALID = [
    ("xccdf", samples.xccdf_benchmark, OSCAP_XCCDF, "XCCDF 1.2 Benchmark"),
    (
        "xccdf-with-testresult",
        lambda: samples.xccdf_benchmark(with_testresult=True),
        OSCAP_XCCDF,
        "XCCDF 1.2 Benchmark with TestResult",
    ),
    ("testresult", samples.xccdf_testresult, OSCAP_XCCDF, "XCCDF 1.2 TestResult"),
    ("oval", samples.oval_definitions, OSCAP_OVAL, "OVAL 5.11.2 definitions"),
    ("cpe", samples.cpe_dictionary, OSCAP_CPE, "CPE 2.3 dictionary"),
    ("ds", samples.source_data_stream, OSCAP_DS, "SCAP 1.3 source data stream"),
    ("arf", samples.arf_report, OSCAP_ARF, "ARF 1.1 asset report collection"),
]


@pytest.mark.parametrize(
    ("build", "command", "kind"),
    [entry[1:] for entry in VALID],
    ids=[entry[0] for entry in VALID],
)
def test_valid_documents_of_every_kind(
    schemas: Path,
    oscap: str,
    tmp_path: Path,
    build: Callable[[], etree._Element],
    command: tuple[str, ...],
    kind: str,
) -> None:
    data = samples.serialize(build())
    path = tmp_path / "document.xml"
    path.write_bytes(data)

    outcome = validate_file(path, schema_dir=schemas)

    assert outcome.problems == ()
    assert outcome.kind == kind
    assert oscap_accepts(oscap, command, data, tmp_path)


# --- Invalid documents: dockscap names the place, oscap agrees it is invalid ---


def _rule_severity(benchmark: etree._Element) -> etree._Element:
    benchmark.find(f"{X}Rule").set("severity", "catastrophic")
    return benchmark


def _broken_benchmark() -> etree._Element:
    return _rule_severity(samples.xccdf_benchmark())


def _benchmark_without_version() -> etree._Element:
    benchmark = samples.xccdf_benchmark()
    benchmark.remove(benchmark.find(f"{X}version"))
    return benchmark


def _broken_testresult() -> etree._Element:
    result = samples.xccdf_testresult()
    result.find(f"{X}rule-result/{X}result").text = "maybe"
    return result


def _benchmark_with_broken_testresult() -> etree._Element:
    benchmark = samples.xccdf_benchmark()
    benchmark.append(_broken_testresult())
    return benchmark


def _oval_with_check(value: str) -> etree._Element:
    oval = samples.oval_definitions()
    oval.find(f".//{IND}textfilecontent54_test").set("check", value)
    return oval


def _oval_dangling_test_ref() -> etree._Element:
    oval = samples.oval_definitions()
    oval.find(f".//{OVAL}criterion").set("test_ref", "oval:org.example.dockscap:tst:9")
    return oval


def _oval_dangling_object_ref() -> etree._Element:
    oval = samples.oval_definitions()
    oval.find(f".//{IND}object").set("object_ref", "oval:org.example.dockscap:obj:9")
    return oval


def _oval_duplicate_test() -> etree._Element:
    oval = samples.oval_definitions()
    tests = oval.find(f"{OVAL}tests")
    tests.append(copy.deepcopy(tests[0]))
    return oval


def _cpe_bad_name() -> etree._Element:
    dictionary = samples.cpe_dictionary()
    dictionary[0].set("name", "docker")
    return dictionary


def _ds_bad_component_id() -> etree._Element:
    stream = samples.source_data_stream()
    stream.find(f"{{{DS}}}component").set("id", "bad_id")
    return stream


def _ds_broken_benchmark() -> etree._Element:
    return samples.source_data_stream({"sample-xccdf.xml": _broken_benchmark()})


def _ds_broken_oval() -> etree._Element:
    return samples.source_data_stream(
        {"sample-oval.xml": _oval_with_check("sometimes")}
    )


def _arf_broken_testresult() -> etree._Element:
    return samples.arf_report(testresult=_broken_testresult())


def _arf_broken_request() -> etree._Element:
    return samples.arf_report(request=_ds_broken_benchmark())


def _arf_empty_connections() -> etree._Element:
    report = samples.arf_report()
    device = report.find(f".//{{{AI}}}computing-device")
    device.insert(0, etree.Element(f"{{{AI}}}connections"))
    return report


def _arf_bad_hostname() -> etree._Element:
    report = samples.arf_report()
    report.find(f".//{{{AI}}}hostname").text = "not a host!"
    return report


SEVERITIES = "['unknown', 'info', 'low', 'medium', 'high']"
RESULTS = (
    "['pass', 'fail', 'error', 'unknown', 'notapplicable', 'notchecked', "
    "'notselected', 'informational', 'fixed']"
)

# name, broken document, where (line marker, path), what the message says, and
# what oscap must reject: the same document, or (for content that the ARF
# schema takes laxly) the broken part on its own.
INVALID: list[tuple[str, Callable[[], etree._Element], str, str, str, Any]] = [
    (
        "xccdf-rule-severity",
        _broken_benchmark,
        'severity="catastrophic"',
        "/Benchmark/Rule",
        f"attribute severity='catastrophic': value must be one of {SEVERITIES}",
        OSCAP_XCCDF,
    ),
    (
        "xccdf-no-version",
        _benchmark_without_version,
        "<Benchmark",
        "/Benchmark",
        "Tag 'cdf:version' expected",
        OSCAP_XCCDF,
    ),
    (
        "xccdf-rule-result",
        _benchmark_with_broken_testresult,
        "<result>maybe",
        "/Benchmark/TestResult/rule-result/result",
        f"value must be one of {RESULTS}",
        OSCAP_XCCDF,
    ),
    (
        "oval-check",
        lambda: _oval_with_check("sometimes"),
        'check="sometimes"',
        "/oval_definitions/tests/ind:textfilecontent54_test",
        "attribute check='sometimes': value must be one of",
        OSCAP_OVAL,
    ),
    (
        "oval-dangling-test-ref",
        _oval_dangling_test_ref,
        "<oval_definitions",
        "/oval_definitions",
        "value ('oval:org.example.dockscap:tst:9',) not found for "
        "XsdKey(name='oval-def:testKey')",
        OSCAP_OVAL,
    ),
    (
        "oval-dangling-object-ref-inside-a-platform-test",
        _oval_dangling_object_ref,
        "<oval_definitions",
        "/oval_definitions",
        "value ('oval:org.example.dockscap:obj:9',) not found for "
        "XsdKey(name='oval-def:objectKey')",
        OSCAP_OVAL,
    ),
    (
        "oval-duplicate-test-id",
        _oval_duplicate_test,
        "last:<ind:textfilecontent54_test",
        "/oval_definitions/tests/ind:textfilecontent54_test[2]",
        "duplicated value ('oval:org.example.dockscap:tst:1',)",
        OSCAP_OVAL,
    ),
    (
        "cpe-item-name",
        _cpe_bad_name,
        'name="docker"',
        "/cpe-list/cpe-item",
        "attribute name='docker': value doesn't match any pattern",
        OSCAP_CPE,
    ),
    (
        "ds-component-id",
        _ds_bad_component_id,
        'id="bad_id"',
        "/ds:data-stream-collection/ds:component[1]",
        "attribute id='bad_id': value doesn't match any pattern of "
        "['scap_[^_]+_comp_.+']",
        OSCAP_DS,
    ),
    (
        "ds-benchmark-component",
        _ds_broken_benchmark,
        'severity="catastrophic"',
        "/ds:data-stream-collection/ds:component[2]/Benchmark/Rule",
        f"attribute severity='catastrophic': value must be one of {SEVERITIES}",
        OSCAP_DS,
    ),
    (
        "ds-oval-component",
        _ds_broken_oval,
        'check="sometimes"',
        "/ds:data-stream-collection/ds:component[3]/oval_definitions/tests/"
        "ind:textfilecontent54_test",
        "attribute check='sometimes': value must be one of",
        OSCAP_DS,
    ),
    (
        "arf-report-testresult",
        _arf_broken_testresult,
        "<result>maybe",
        "/arf:asset-report-collection/arf:reports/arf:report/arf:content/"
        "TestResult/rule-result/result",
        f"value must be one of {RESULTS}",
        (OSCAP_XCCDF, _broken_testresult),
    ),
    (
        "arf-report-request-data-stream",
        _arf_broken_request,
        'severity="catastrophic"',
        "/arf:asset-report-collection/arf:report-requests/arf:report-request/"
        "arf:content/ds:data-stream-collection/ds:component[2]/Benchmark/Rule",
        f"attribute severity='catastrophic': value must be one of {SEVERITIES}",
        (OSCAP_DS, _ds_broken_benchmark),
    ),
    (
        "arf-empty-connections",
        _arf_empty_connections,
        "<ai:connections/>",
        "/arf:asset-report-collection/arf:assets/arf:asset/ai:computing-device/"
        "ai:connections",
        "The content of element 'ai:connections' is not complete. "
        "Tag 'ai:connection' expected.",
        OSCAP_ARF,
    ),
    (
        "arf-hostname",
        _arf_bad_hostname,
        "<ai:hostname>",
        "/arf:asset-report-collection/arf:assets/arf:asset/ai:computing-device/"
        "ai:hostname",
        "value doesn't match any pattern of",
        OSCAP_ARF,
    ),
]


@pytest.mark.parametrize(
    ("build", "marker", "path", "message", "oracle"),
    [entry[1:] for entry in INVALID],
    ids=[entry[0] for entry in INVALID],
)
def test_invalid_documents_are_reported_where_they_break(
    schemas: Path,
    oscap: str,
    tmp_path: Path,
    build: Callable[[], etree._Element],
    marker: str,
    path: str,
    message: str,
    oracle: Any,
) -> None:
    data = samples.serialize(build())

    problems = validate(data, source="broken.xml", schema_dir=schemas)

    assert len(problems) == 1, problems
    assert problems[0].line == line_of(data, marker)
    assert problems[0].path == path
    assert message in problems[0].message

    command, part = oracle if isinstance(oracle[0], tuple) else (oracle, build)
    assert not oscap_accepts(oscap, command, samples.serialize(part()), tmp_path)


def _oval_with_variable_path(var_ref: str) -> etree._Element:
    """The sample OVAL plus a unix file_object of a directory named by an
    external variable, its file name nilled, as dockscap's own check reads
    <data-root>/containers."""
    unix = "{http://oval.mitre.org/XMLSchema/oval-definitions-5#unix}"
    oval = samples.oval_definitions()
    file_object = etree.SubElement(
        oval.find(f"{OVAL}objects"),
        f"{unix}file_object",
        id="oval:org.example.dockscap:obj:2",
        version="1",
    )
    etree.SubElement(file_object, f"{unix}path", var_ref=var_ref)
    etree.SubElement(file_object, f"{unix}filename", {f"{{{XSI}}}nil": "true"})
    etree.SubElement(
        etree.SubElement(oval, f"{OVAL}variables"),
        f"{OVAL}external_variable",
        id="oval:org.example.dockscap:var:1",
        version="1",
        datatype="string",
        comment="Docker data root",
    )
    return oval


def test_a_nilled_entity_is_no_dangling_reference(
    schemas: Path, oscap: str, tmp_path: Path
) -> None:
    # XSD 1.0 leaves elements without every keyref field out of the check;
    # xmlschema alone reports <ind:filename xsi:nil="true"/> as a var_ref to
    # nothing.
    data = samples.serialize(
        _oval_with_variable_path("oval:org.example.dockscap:var:1")
    )

    assert validate(data, schema_dir=schemas) == []
    assert oscap_accepts(oscap, OSCAP_OVAL, data, tmp_path)


def test_a_variable_reference_inside_a_platform_object_is_checked(
    schemas: Path, oscap: str, tmp_path: Path
) -> None:
    data = samples.serialize(
        _oval_with_variable_path("oval:org.example.dockscap:var:9")
    )

    problems = validate(data, schema_dir=schemas)

    assert [(p.path, p.message) for p in problems] == [
        (
            "/oval_definitions",
            "value ('oval:org.example.dockscap:var:9',) not found for "
            "XsdKey(name='oval-def:variableKey')",
        )
    ]
    assert not oscap_accepts(oscap, OSCAP_OVAL, data, tmp_path)


def test_arf_reports_are_validated_although_the_arf_schema_is_lax(
    schemas: Path, oscap: str, tmp_path: Path
) -> None:
    # The ARF schema takes report content with processContents="lax": a
    # validator that loads only the ARF schema, as `oscap ds rds-validate`
    # does, accepts a broken TestResult. dockscap loads the XCCDF schema too.
    data = samples.serialize(_arf_broken_testresult())

    assert oscap_accepts(oscap, OSCAP_ARF, data, tmp_path)
    assert validate(data, schema_dir=schemas) != []


def test_an_arf_written_by_oscap_with_oval_results_is_valid(
    schemas: Path, oscap: str, tmp_path: Path
) -> None:
    stream = tmp_path / "ds.xml"
    stream.write_bytes(samples.serialize(samples.source_data_stream()))
    arf = tmp_path / "arf.xml"
    subprocess.run(
        [oscap, "xccdf", "eval", "--results-arf", str(arf), str(stream)],
        capture_output=True,
        check=False,
    )
    require(arf.is_file(), "oscap xccdf eval wrote no ARF")
    results = etree.parse(str(arf)).getroot()
    definition = results.find(
        ".//{http://oval.mitre.org/XMLSchema/oval-results-5}definition"
    )
    assert definition is not None

    assert validate_file(arf, schema_dir=schemas).problems == ()

    definition.set("result", "maybe")
    problems = validate(results, source=str(arf), schema_dir=schemas)

    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (definition.sourceline, "attribute result='maybe'")
    ]


# --- DISA's and the field's own files ---------------------------------------------

DISA_BENCHMARKS = [
    "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V1R1_Manual-xccdf.xml",
    "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V2R1_Manual-xccdf.xml",
    "U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml",
]


@pytest.mark.parametrize("name", DISA_BENCHMARKS)
def test_disa_benchmarks_are_valid_xccdf_1_1(
    schemas: Path, oscap: str, reference: Path, tmp_path: Path, name: str
) -> None:
    path = reference / "disa" / name

    outcome = validate_file(path, schema_dir=schemas)

    assert (outcome.kind, outcome.problems) == ("XCCDF 1.1 Benchmark", ())
    assert oscap_accepts(oscap, OSCAP_XCCDF, path.read_bytes(), tmp_path)


def test_a_broken_disa_benchmark_is_reported(schemas: Path, reference: Path) -> None:
    tree = etree.parse(str(reference / "disa" / DISA_BENCHMARKS[2]))
    rule = tree.find(f".//{{{XCCDF_11}}}Rule")
    rule.set("severity", "catastrophic")

    problems = validate(tree, source="V2R2", schema_dir=schemas)

    assert problems == [
        Problem(
            rule.sourceline,
            "/Benchmark/Group[1]/Rule",
            f"attribute severity='catastrophic': value must be one of {SEVERITIES}",
        )
    ]


def test_scc_xccdf_results_are_valid(schemas: Path, reference: Path) -> None:
    path = reference / "xccdf-results" / "example-scc-5.8-xccdf.xml"

    outcome = validate_file(path, schema_dir=schemas)

    assert (outcome.kind, outcome.problems) == (
        "XCCDF 1.2 Benchmark with TestResult",
        (),
    )


# --- CKL: DISA's schema, named by the user ---------------------------------------


def test_the_stig_viewer_ckl_is_valid_against_disas_schema(reference: Path) -> None:
    checklist = reference / "checklist"

    outcome = validate_file(
        checklist / "example-stigviewer-2.17.ckl",
        ckl_schema=checklist / "U_Checklist_Schema_V2.xsd",
    )

    assert (outcome.kind, outcome.problems) == ("STIG Viewer checklist (CKL)", ())


def test_a_ckl_status_outside_disas_vocabulary_is_reported(
    reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checklist = reference / "checklist"
    monkeypatch.setenv(
        "DOCKSCAP_CKL_SCHEMA", str(checklist / "U_Checklist_Schema_V2.xsd")
    )
    tree = etree.parse(str(checklist / "example-stigviewer-2.17.ckl"))
    vulns = tree.findall("STIGS/iSTIG/VULN")
    status = vulns[-1].find("STATUS")
    status.text = "Passed"

    problems = validate(tree, source="edited.ckl")

    assert len(problems) == 1
    assert problems[0].line == status.sourceline
    assert problems[0].path == f"/CHECKLIST/STIGS/iSTIG/VULN[{len(vulns)}]/STATUS"
    assert "'Passed'" in problems[0].message


def test_without_disas_schema_a_ckl_gets_the_structural_check(
    reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKSCAP_CKL_SCHEMA", raising=False)
    example = reference / "checklist" / "example-stigviewer-2.17.ckl"
    tree = etree.parse(str(example))
    vulns = tree.findall("STIGS/iSTIG/VULN")
    status = vulns[1].find("STATUS")
    status.text = "Passed"
    rule_id = next(
        data.findtext("ATTRIBUTE_DATA")
        for data in vulns[1].iterfind("STIG_DATA")
        if data.findtext("VULN_ATTRIBUTE") == "Rule_ID"
    )

    sound = validate_file(example)
    problems = validate(tree, source="edited.ckl")

    assert sound.kind.startswith("STIG Viewer checklist (CKL), structural check")
    assert sound.problems == ()
    assert [(p.line, p.path, p.message) for p in problems] == [
        (
            status.sourceline,
            "/CHECKLIST/STIGS/iSTIG/VULN[2]/STATUS",
            f"{rule_id}: STATUS 'Passed' is not one of NotAFinding, Open, "
            "Not_Applicable, Not_Reviewed",
        )
    ]


def test_a_named_ckl_schema_that_is_missing_is_an_error(
    reference: Path, tmp_path: Path
) -> None:
    absent = tmp_path / "U_Checklist_Schema_V2.xsd"

    with pytest.raises(SchemaError) as caught:
        validate_file(
            reference / "checklist" / "example-stigviewer-2.17.ckl", ckl_schema=absent
        )

    assert str(caught.value) == f"{absent}: the CKL schema file does not exist"


# --- CKLB: a structural check ----------------------------------------------------


@pytest.fixture
def cklb(reference: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference / "checklist" / "example-evaluate-stig.cklb").read_text()
    )
    return data


def test_the_evaluate_stig_cklb_is_sound(reference: Path) -> None:
    outcome = validate_file(reference / "checklist" / "example-evaluate-stig.cklb")

    assert outcome.kind == "STIG Viewer 3 checklist (CKLB, structural check)"
    assert outcome.problems == ()


def _rule(cklb: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = cklb["stigs"][0]["rules"][0]
    return rule


CKLB_BREAKS: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    (
        "no-host-name",
        lambda c: c["target_data"].pop("host_name"),
        "target_data.host_name",
        "required key is missing",
    ),
    (
        "empty-host-name",
        lambda c: c["target_data"].update(host_name=""),
        "target_data.host_name",
        "must not be empty",
    ),
    (
        "ckl-status",
        lambda c: _rule(c).update(status="NotAFinding"),
        "stigs[0].rules[0].status",
        "'NotAFinding' is not a CKLB status "
        "(not_a_finding, open, not_applicable, not_reviewed)",
    ),
    (
        "severity",
        lambda c: _rule(c).update(severity="critical"),
        "stigs[0].rules[0].severity",
        "'critical' is not a CKLB severity (high, medium, low)",
    ),
    (
        "no-finding-details",
        lambda c: _rule(c).pop("finding_details"),
        "stigs[0].rules[0].finding_details",
        "required key is missing",
    ),
    (
        "comments-null",
        lambda c: _rule(c).update(comments=None),
        "stigs[0].rules[0].comments",
        "must be a string, not null",
    ),
    (
        "foreign-rule",
        lambda c: _rule(c).update(stig_uuid="0000"),
        "stigs[0].rules[0].stig_uuid",
        "'0000' is not the uuid of the STIG that holds the rule "
        "('42bea96a-3170-48ed-b6c1-d17841ed69a3')",
    ),
    (
        "rule-not-object",
        lambda c: c["stigs"][0]["rules"].insert(0, "V-1"),
        "stigs[0].rules[0]",
        "must be an object, not a string",
    ),
    ("no-stigs", lambda c: c.update(stigs=[]), "stigs", "must hold at least one STIG"),
    (
        "stigs-object",
        lambda c: c.update(stigs={}),
        "stigs",
        "must be an array, not an object",
    ),
    (
        "active-text",
        lambda c: c.update(active="yes"),
        "active",
        "must be a boolean, not a string",
    ),
    (
        "size-boolean",
        lambda c: c["stigs"][0].update(size=True),
        "stigs[0].size",
        "must be an integer, not a boolean",
    ),
    (
        "no-version",
        lambda c: c.pop("cklb_version"),
        "cklb_version",
        "required key is missing",
    ),
]


@pytest.mark.parametrize(
    ("damage", "path", "message"),
    [entry[1:] for entry in CKLB_BREAKS],
    ids=[entry[0] for entry in CKLB_BREAKS],
)
def test_cklb_structure_problems(
    cklb: dict[str, Any],
    damage: Callable[[dict[str, Any]], Any],
    path: str,
    message: str,
) -> None:
    damage(cklb)

    assert validate_cklb(json.dumps(cklb).encode()) == [Problem(None, path, message)]


def test_assert_valid_cklb_names_the_source(cklb: dict[str, Any]) -> None:
    assert_valid_cklb(cklb, source="good.cklb")
    _rule(cklb)["status"] = "pass"

    with pytest.raises(InvalidDocumentError) as caught:
        assert_valid_cklb(cklb, source="out/host.cklb")

    assert str(caught.value) == (
        "out/host.cklb is not a sound CKLB checklist: stigs[0].rules[0].status: "
        "'pass' is not a CKLB status "
        "(not_a_finding, open, not_applicable, not_reviewed)"
    )


# --- OVAL versions -------------------------------------------------------------


def test_an_unsupported_oval_version_is_a_problem_at_its_declaration(
    schemas: Path,
) -> None:
    data = samples.serialize(samples.oval_definitions(schema_version="5.10"))

    assert validate(data, schema_dir=schemas) == [
        Problem(
            line_of(data, "<oval:schema_version>"),
            "/oval_definitions/generator/oval:schema_version",
            "OVAL schema_version '5.10' is not one dockscap validates "
            "(5.11, 5.11.1, 5.11.2, 5.11.3)",
        )
    ]


def test_a_platform_qualified_oval_version_validates_as_its_core_version(
    schemas: Path, tmp_path: Path
) -> None:
    path = tmp_path / "oval.xml"
    path.write_bytes(samples.serialize(samples.oval_definitions("5.11.2:1.0")))

    outcome = validate_file(path, schema_dir=schemas)

    assert (outcome.kind, outcome.problems) == ("OVAL 5.11.2 definitions", ())


def test_one_compiled_set_never_mixes_oval_versions(schemas: Path) -> None:
    # The data stream schema imports OVAL from oval/5.11.3; a set compiled
    # for OVAL 5.11.2 must take every OVAL schema from oval/5.11.2.
    schema = load_schema(kinds.SCAP_13_SCHEMAS, schema_dir(schemas), "5.11.2")

    oval_urls = {s.url for s in schema.maps.iter_schemas() if "/oval/" in (s.url or "")}

    assert oval_urls
    assert all("/oval/5.11.2/" in url for url in oval_urls), sorted(oval_urls)


# --- The schema directory and the catalog ----------------------------------------


def test_every_schema_set_loads_offline(
    schemas: Path, offline: list[tuple[Any, ...]]
) -> None:
    for schema_set in (
        kinds.XCCDF_12_SCHEMAS,
        kinds.XCCDF_11_SCHEMAS,
        kinds.CPE_23_SCHEMAS,
        kinds.SCAP_13_SCHEMAS,
    ):
        load_schema(schema_set, schema_dir(schemas))

    assert offline == []


def test_the_network_is_really_cut_off(offline: list[tuple[Any, ...]]) -> None:
    # Keeps the test above honest.
    with pytest.raises(OSError, match="cut off"):
        socket.create_connection(("127.0.0.1", 9))

    assert len(offline) == 1
    offline.clear()


def test_compiled_schemas_are_cached(schemas: Path) -> None:
    first = load_schema(kinds.XCCDF_12_SCHEMAS, schema_dir(schemas))

    assert load_schema(kinds.XCCDF_12_SCHEMAS, schema_dir(schemas)) is first


def test_the_catalog_is_a_valid_oasis_catalog(schemas: Path) -> None:
    import xmlschema

    oasis = xmlschema.XMLSchema10(
        str(schemas / "common" / "catalog.xsd"),
        allow="local",
        locations=[
            ("http://www.w3.org/XML/1998/namespace", str(schemas / "common/xml.xsd"))
        ],
    )
    catalog_file = Path(catalog_module.__file__).with_name("catalog.xml")

    assert list(oasis.iter_errors(str(catalog_file))) == []


def test_every_catalog_entry_names_a_file_openscap_ships(schemas: Path) -> None:
    catalog = catalog_module.load_catalog(schemas)

    files = [*catalog.namespaces.values(), *catalog.systems.values()]
    prefixes = [target for _, target in catalog.rewrites]

    assert [f for f in files if not f.is_file()] == []
    assert [p for p in prefixes if not p.is_dir()] == []


@pytest.mark.parametrize(
    ("location", "local"),
    [
        ("http://www.w3.org/2001/xml.xsd", "common/xml.xsd"),
        ("https://www.w3.org/2001/xml.xsd", "common/xml.xsd"),
        (
            "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd",
            "common/xmldsig-core-schema.xsd",
        ),
        ("http://www.w3.org/1999/xlink.xsd", "common/xlink.xsd"),
        ("http://docs.oasis-open.org/election/external/xAL.xsd", "arf/1.1/xAL.xsd"),
        ("http://docs.oasis-open.org/election/external/xNL.xsd", "arf/1.1/xNL.xsd"),
        (
            "https://scap.nist.gov/schema/cpe/2.3/cpe-naming_2.3.xsd",
            "cpe/2.3/cpe-naming_2.3.xsd",
        ),
        (
            "http://oval.mitre.org/language/version5.11.2/ovaldefinition/complete/"
            "oval-common-schema.xsd",
            "oval/5.11.2/oval-common-schema.xsd",
        ),
        ("http://nvd.nist.gov/schema/xccdf-1.1.4.xsd", "xccdf/1.1/xccdf-schema.xsd"),
    ],
)
def test_remote_locations_map_to_local_files(
    schemas: Path, location: str, local: str
) -> None:
    catalog = catalog_module.load_catalog(schemas)

    assert catalog.resolve(location) == (schemas / local).as_uri()


def test_an_unmapped_location_comes_back_unchanged(schemas: Path) -> None:
    catalog = catalog_module.load_catalog(schemas)

    assert (
        catalog.resolve("http://example.invalid/a.xsd")
        == "http://example.invalid/a.xsd"
    )


def _xccdf_schemas_importing(tmp_path: Path, naming_location: str) -> Path:
    """A schema directory whose XCCDF 1.2 schemas import by remote locations,
    as NIST's published copies do: xml.xsd from the W3C, and CPE naming (which
    no other hint names) from `naming_location`."""
    root = tmp_path / "schemas"
    for part in ("common", "xccdf/1.2", "cpe/2.3"):
        shutil.copytree(OPENSCAP_SCHEMAS / part, root / part)

    remote = {
        "http://www.w3.org/XML/1998/namespace": "http://www.w3.org/2001/xml.xsd",
        "http://cpe.mitre.org/naming/2.0": naming_location,
    }
    for name in ("xccdf/1.2/xccdf_1.2.xsd", "xccdf/1.2/cpe-language_2.3.xsd"):
        tree = etree.parse(str(root / name))
        for imported in tree.getroot().iter("{http://www.w3.org/2001/XMLSchema}import"):
            location = remote.get(imported.get("namespace", ""))
            if location:
                imported.set("schemaLocation", location)
        tree.write(str(root / name))
    return root


def _by_xmlschema(data: bytes, schema_dir: Path) -> None:
    problems = validate(data, schema_dir=schema_dir)
    assert problems == []


def _by_libxml2(data: bytes, schema_dir: Path) -> None:
    assert_valid(data, source="x.xml", schema_dir=schema_dir)


# dockscap validate reads schemas with xmlschema; the check before a file is
# written, with libxml2 (schemas/gate.py). Both load the same files, offline.
BOTH_VALIDATORS = pytest.mark.parametrize(
    "check", [_by_xmlschema, _by_libxml2], ids=["xmlschema", "libxml2"]
)


@BOTH_VALIDATORS
def test_schemas_that_import_remote_locations_load_offline(
    schemas: Path,
    tmp_path: Path,
    offline: list[tuple[Any, ...]],
    check: Callable[[bytes, Path], None],
) -> None:
    remote = _xccdf_schemas_importing(
        tmp_path, "https://scap.nist.gov/schema/cpe/2.3/cpe-naming_2.3.xsd"
    )

    check(samples.serialize(samples.xccdf_benchmark()), remote)

    assert offline == []


@BOTH_VALIDATORS
def test_a_remote_location_the_catalog_does_not_map_is_refused(
    schemas: Path,
    tmp_path: Path,
    offline: list[tuple[Any, ...]],
    check: Callable[[bytes, Path], None],
) -> None:
    remote = _xccdf_schemas_importing(tmp_path, "http://example.invalid/naming.xsd")

    with pytest.raises(SchemaError) as caught:
        check(samples.serialize(samples.xccdf_benchmark()), remote)

    assert str(caught.value).startswith(
        f"cannot load the XCCDF 1.2 schemas from {remote.resolve()}: "
    )
    assert "http://example.invalid/naming.xsd" in str(caught.value)
    assert offline == []


def test_missing_schemas_say_how_to_install_them(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as caught:
        schema_dir(tmp_path / "nowhere")

    assert str(caught.value) == (
        f"the official SCAP schemas are not available: {tmp_path}/nowhere is not a "
        "directory; install them with `apt-get install openscap-common`, or set "
        "DOCKSCAP_SCHEMAS to a directory that holds them (dockscap validate also "
        "takes --schemas DIR)"
    )


def test_an_incomplete_schema_directory_names_the_missing_file(tmp_path: Path) -> None:
    shutil.copytree(OPENSCAP_SCHEMAS / "common", tmp_path / "common")

    with pytest.raises(SchemaError) as caught:
        validate(samples.serialize(samples.xccdf_benchmark()), schema_dir=tmp_path)

    assert str(caught.value) == (
        f"the official SCAP schemas in {tmp_path.resolve()} are incomplete: "
        "xccdf/1.2/xccdf_1.2.xsd is missing; install them with `apt-get install "
        "openscap-common`, or set DOCKSCAP_SCHEMAS to a directory that holds them "
        "(dockscap validate also takes --schemas DIR)"
    )


def test_the_schema_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKSCAP_SCHEMAS", str(tmp_path))

    assert schema_dir() == tmp_path.resolve()
    assert schema_dir(OPENSCAP_SCHEMAS) == OPENSCAP_SCHEMAS.resolve()


# --- The API ---------------------------------------------------------------------


def test_bytes_trees_and_elements_validate_alike(schemas: Path) -> None:
    data = samples.serialize(_broken_benchmark())
    tree = etree.ElementTree(etree.fromstring(data))

    from_bytes = validate(data, schema_dir=schemas)

    assert validate(tree, schema_dir=schemas) == from_bytes
    assert validate(tree.getroot(), schema_dir=schemas) == from_bytes


def test_assert_valid_names_the_source_and_the_problem(schemas: Path) -> None:
    data = samples.serialize(_broken_benchmark())
    assert_valid(samples.serialize(samples.xccdf_benchmark()), source="ok.xml")

    with pytest.raises(InvalidDocumentError) as caught:
        assert_valid(data, source="build/x-xccdf.xml", schema_dir=schemas)

    assert str(caught.value) == (
        "build/x-xccdf.xml is not a valid XCCDF 1.2 Benchmark: "
        f"line {line_of(data, 'catastrophic')}: /Benchmark/Rule: "
        f"attribute severity='catastrophic': value must be one of {SEVERITIES}"
    )


def test_a_document_of_another_kind_is_refused(schemas: Path) -> None:
    data = b'<?xml version="1.0"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'

    with pytest.raises(InputError) as caught:
        validate(data, source="a.xsd", schema_dir=schemas)

    assert str(caught.value) == (
        "a.xsd:2: the root element {http://www.w3.org/2001/XMLSchema}schema is not a "
        "document dockscap validates (expected one of: XCCDF 1.2 Benchmark, XCCDF 1.2 "
        "TestResult, XCCDF 1.2 Tailoring, XCCDF 1.1 Benchmark, OVAL definitions, "
        "CPE 2.3 dictionary, SCAP 1.3 source data stream, ARF 1.1 asset report "
        "collection, STIG Viewer checklist (CKL); or a CKLB checklist, dockscap's "
        "JSON results or dockscap's HTML report)"
    )
