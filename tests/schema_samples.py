"""Small SCAP documents of every kind dockscap validates, built with lxml.

Each builder returns a fresh, valid document; tests break a copy in one known
place to get an invalid one. The documents are written from the standards'
element order (XCCDF 1.2, OVAL 5.11.2, CPE 2.3, SCAP 1.3 data streams, ARF 1.1
with Asset Identification 1.1), not copied from anywhere.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from dockscap.namespaces import (
    AI,
    ARF,
    ARF_VOCABULARY,
    CATALOG,
    CORE,
    CPE_DICTIONARY,
    DS,
    OVAL_COMMON,
    OVAL_DEFINITIONS,
    OVAL_INDEPENDENT,
    XCCDF_12,
    XLINK,
    XML,
)

TIMESTAMP = "2024-07-24T12:00:00"
ZONED_TIME = "2024-07-24T12:00:00+00:00"

BENCHMARK_ID = "xccdf_org.example.dockscap_benchmark_sample"
RULE_ID = "xccdf_org.example.dockscap_rule_sample"
TESTRESULT_ID = "xccdf_org.example.dockscap_testresult_sample"
DEFINITION_ID = "oval:org.example.dockscap:def:1"
TEST_ID = "oval:org.example.dockscap:tst:1"
OBJECT_ID = "oval:org.example.dockscap:obj:1"


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _x(local: str) -> str:
    return f"{{{XCCDF_12}}}{local}"


def xccdf_benchmark(*, with_testresult: bool = False) -> etree._Element:
    """An XCCDF 1.2 Benchmark with one Rule checked by OVAL."""
    benchmark = etree.Element(
        _x("Benchmark"),
        {"id": BENCHMARK_ID, "resolved": "true"},
        nsmap={None: XCCDF_12},
    )
    benchmark.set(f"{{{XML}}}lang", "en")
    _sub(benchmark, _x("status"), "accepted", date="2024-07-24")
    _sub(benchmark, _x("title"), "Sample benchmark")
    _sub(benchmark, _x("version"), "1")

    rule = _sub(benchmark, _x("Rule"), id=RULE_ID, severity="high", selected="true")
    _sub(rule, _x("title"), "Sample rule")
    check = _sub(rule, _x("check"), system=OVAL_DEFINITIONS)
    _sub(check, _x("check-content-ref"), href="sample-oval.xml", name=DEFINITION_ID)

    if with_testresult:
        benchmark.append(xccdf_testresult())
    return benchmark


def xccdf_testresult() -> etree._Element:
    """An XCCDF 1.2 TestResult for the sample Rule, passing."""
    result = etree.Element(
        _x("TestResult"),
        {"id": TESTRESULT_ID, "start-time": ZONED_TIME, "end-time": ZONED_TIME},
        nsmap={None: XCCDF_12},
    )
    _sub(result, _x("target"), "host.example")
    rule_result = _sub(result, _x("rule-result"), idref=RULE_ID, time=ZONED_TIME)
    _sub(rule_result, _x("result"), "pass")
    _sub(result, _x("score"), "100.0")
    return result


def oval_definitions(schema_version: str = "5.11.2") -> etree._Element:
    """OVAL definitions with one textfilecontent54 test, as dockscap's check reads."""
    oval = f"{{{OVAL_COMMON}}}"
    d = f"{{{OVAL_DEFINITIONS}}}"
    ind = f"{{{OVAL_INDEPENDENT}}}"
    root = etree.Element(
        f"{d}oval_definitions",
        nsmap={None: OVAL_DEFINITIONS, "oval": OVAL_COMMON, "ind": OVAL_INDEPENDENT},
    )
    generator = _sub(root, f"{d}generator")
    _sub(generator, f"{oval}product_name", "dockscap tests")
    _sub(generator, f"{oval}schema_version", schema_version)
    _sub(generator, f"{oval}timestamp", TIMESTAMP)

    definition = _sub(
        _sub(root, f"{d}definitions"),
        f"{d}definition",
        id=DEFINITION_ID,
        version="1",
        **{"class": "compliance"},
    )
    metadata = _sub(definition, f"{d}metadata")
    _sub(metadata, f"{d}title", "Sample definition")
    _sub(metadata, f"{d}description", "Every container's root filesystem is read-only.")
    criteria = _sub(definition, f"{d}criteria")
    _sub(criteria, f"{d}criterion", test_ref=TEST_ID)

    test = _sub(
        _sub(root, f"{d}tests"),
        f"{ind}textfilecontent54_test",
        id=TEST_ID,
        version="1",
        check="all",
        check_existence="any_exist",
        comment="hostconfig.json files that set ReadonlyRootfs",
    )
    _sub(test, f"{ind}object", object_ref=OBJECT_ID)

    obj = _sub(
        _sub(root, f"{d}objects"),
        f"{ind}textfilecontent54_object",
        id=OBJECT_ID,
        version="1",
    )
    _sub(
        obj,
        f"{ind}filepath",
        r"^/var/lib/docker/containers/[0-9a-f]{64}/hostconfig\.json$",
        operation="pattern match",
    )
    _sub(
        obj,
        f"{ind}pattern",
        r'"ReadonlyRootfs":(true|false)',
        operation="pattern match",
    )
    _sub(obj, f"{ind}instance", "1", datatype="int", operation="greater than or equal")
    return root


def cpe_dictionary() -> etree._Element:
    """A CPE 2.3 dictionary naming Docker."""
    root = etree.Element(f"{{{CPE_DICTIONARY}}}cpe-list", nsmap={None: CPE_DICTIONARY})
    item = _sub(root, f"{{{CPE_DICTIONARY}}}cpe-item", name="cpe:/a:docker:docker")
    title = _sub(item, f"{{{CPE_DICTIONARY}}}title", "Docker")
    title.set(f"{{{XML}}}lang", "en-US")
    return root


_COMPONENTS: tuple[tuple[str, str, Callable[[], etree._Element]], ...] = (
    ("dictionaries", "sample-cpe-dictionary.xml", cpe_dictionary),
    ("checklists", "sample-xccdf.xml", xccdf_benchmark),
    ("checks", "sample-oval.xml", oval_definitions),
)


def source_data_stream(
    components: dict[str, etree._Element] | None = None,
) -> etree._Element:
    """A SCAP 1.3 source data stream holding the CPE, XCCDF and OVAL samples.

    `components` replaces a sample by file name ("sample-xccdf.xml", ...).
    """
    ds = f"{{{DS}}}"
    replaced = components or {}
    collection = etree.Element(
        f"{ds}data-stream-collection",
        {
            "id": "scap_org.example.dockscap_collection_sample",
            "schematron-version": "1.3",
        },
        nsmap={"ds": DS, "xlink": XLINK, "cat": CATALOG},
    )
    stream = _sub(
        collection,
        f"{ds}data-stream",
        id="scap_org.example.dockscap_datastream_sample",
        **{"scap-version": "1.3", "use-case": "CONFIGURATION", "timestamp": TIMESTAMP},
    )

    lists = {name: _sub(stream, f"{ds}{name}") for name, _, _ in _COMPONENTS}
    for list_name, file_name, _ in _COMPONENTS:
        ref = _sub(
            lists[list_name],
            f"{ds}component-ref",
            id=f"scap_org.example.dockscap_cref_{file_name}",
            **{f"{{{XLINK}}}href": f"#scap_org.example.dockscap_comp_{file_name}"},
        )
        if list_name == "checklists":
            catalog = _sub(ref, f"{{{CATALOG}}}catalog")
            _sub(
                catalog,
                f"{{{CATALOG}}}uri",
                name="sample-oval.xml",
                uri="#scap_org.example.dockscap_cref_sample-oval.xml",
            )

    for _, file_name, build in _COMPONENTS:
        component = _sub(
            collection,
            f"{ds}component",
            id=f"scap_org.example.dockscap_comp_{file_name}",
            timestamp=TIMESTAMP,
        )
        component.append(replaced.get(file_name, build()))
    return collection


def arf_report(
    *, testresult: etree._Element | None = None, request: etree._Element | None = None
) -> etree._Element:
    """An ARF 1.1 collection: a data stream request, one host, one TestResult."""
    arf = f"{{{ARF}}}"
    core = f"{{{CORE}}}"
    ai = f"{{{AI}}}"
    root = etree.Element(
        f"{arf}asset-report-collection",
        nsmap={"arf": ARF, "core": CORE, "ai": AI, "arfvocab": ARF_VOCABULARY},
    )
    relationships = _sub(root, f"{core}relationships")
    for kind, target in (("createdFor", "collection1"), ("isAbout", "asset0")):
        relationship = _sub(
            relationships,
            f"{core}relationship",
            type=f"arfvocab:{kind}",
            subject="xccdf1",
        )
        _sub(relationship, f"{core}ref", target)

    report_request = _sub(
        _sub(root, f"{arf}report-requests"), f"{arf}report-request", id="collection1"
    )
    _sub(report_request, f"{arf}content").append(
        request if request is not None else source_data_stream()
    )

    asset = _sub(_sub(root, f"{arf}assets"), f"{arf}asset", id="asset0")
    device = _sub(asset, f"{ai}computing-device")
    _sub(device, f"{ai}fqdn", "host.example")
    _sub(device, f"{ai}hostname", "host")

    report = _sub(_sub(root, f"{arf}reports"), f"{arf}report", id="xccdf1")
    _sub(report, f"{arf}content").append(
        testresult if testresult is not None else xccdf_testresult()
    )
    return root


def serialize(element: etree._Element) -> bytes:
    return etree.tostring(
        copy.deepcopy(element),
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
    )
