"""Validation leaves out the OVAL platform schemas a document does not declare.

That is only a speed-up if the document is validated exactly as against the
whole set. These tests check the premise on the installed schema files, and
compare the problems found with and without the platforms left out, on valid
and broken documents of every kind that holds OVAL.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import schema_samples as samples
from conftest import require
from lxml import etree

from dockscap.namespaces import OVAL_DEFINITIONS, OVAL_INDEPENDENT, OVAL_UNIX
from dockscap.schemas import gate, kinds
from dockscap.schemas.catalog import schema_dir
from dockscap.schemas.locator import OVAL_PLATFORM, oval_platforms
from dockscap.schemas.problems import Problem
from dockscap.schemas.validation import (
    _problem,
    load_schema,
    validate,
)

ADDRESS = re.compile(r" at 0x[0-9a-f]+")
OPENSCAP_SCHEMAS = Path("/usr/share/openscap/schemas")
XSD = "http://www.w3.org/2001/XMLSchema"
# Attributes of XSD whose value is a QName (or a list of them) naming a component.
QNAME_ATTRIBUTES = ("type", "base", "ref", "itemType", "memberTypes", "refer",
                    "substitutionGroup")  # fmt: skip


@pytest.fixture(scope="module")
def schemas() -> Path:
    require(
        OPENSCAP_SCHEMAS.is_dir(),
        f"{OPENSCAP_SCHEMAS} is missing (Debian package openscap-common)",
    )
    return schema_dir(OPENSCAP_SCHEMAS)


def test_only_a_platform_s_own_schema_refers_to_its_components(
    schemas: Path,
) -> None:
    # The premise: a platform schema can matter to a document only through
    # elements of its own namespace, which the document must then declare.
    misplaced, own_references = [], 0
    for path in sorted(schemas.rglob("*.xsd")):
        tree = etree.parse(str(path))
        own = tree.getroot().get("targetNamespace")
        for element in tree.iter(f"{{{XSD}}}*"):
            for name in QNAME_ATTRIBUTES:
                for value in (element.get(name) or "").split():
                    prefix = value.partition(":")[0] if ":" in value else None
                    namespace = element.nsmap.get(prefix)
                    if not namespace or not OVAL_PLATFORM.match(namespace):
                        continue
                    if namespace == own:
                        own_references += 1
                    else:
                        misplaced.append(f"{path}: {name}={value}")

    assert misplaced == []
    assert own_references > 1000  # the walk did see the platform schemas


def _unix_test(root: etree._Element) -> etree._Element:
    """A unix:file_test declared on the element itself, not on the root."""
    tests = next(root.iter(f"{{{OVAL_DEFINITIONS}}}tests"))
    test = etree.SubElement(
        tests,
        f"{{{OVAL_UNIX}}}file_test",
        nsmap={"unix": OVAL_UNIX},
        id="oval:org.example.dockscap:tst:2",
        version="1",
        check="all",
        comment="declared here only",
    )
    etree.SubElement(test, f"{{{OVAL_UNIX}}}object", object_ref=samples.OBJECT_ID)
    return test


def _valid(root: etree._Element) -> None:
    pass


def _bad_check(root: etree._Element) -> None:
    test = next(root.iter(f"{{{OVAL_INDEPENDENT}}}textfilecontent54_test"))
    test.set("check", "most")


def _unix_test_without_id(root: etree._Element) -> None:
    del _unix_test(root).attrib["id"]


def _unix_test_with_a_stray_child(root: etree._Element) -> None:
    test = _unix_test(root)
    etree.SubElement(test, f"{{{OVAL_UNIX}}}state", state_ref="oops")
    etree.SubElement(test, f"{{{OVAL_UNIX}}}nonsense")


def _valid_unix_test(root: etree._Element) -> None:
    _unix_test(root)


BREAKS: dict[str, Callable[[etree._Element], None]] = {
    "valid": _valid,
    "a wrong check value": _bad_check,
    "a unix test without id": _unix_test_without_id,
    "a unix test with stray children": _unix_test_with_a_stray_child,
    "a valid unix test declared on itself": _valid_unix_test,
}


def _documents() -> dict[str, etree._Element]:
    return {
        "OVAL definitions": samples.oval_definitions(),
        "source data stream": samples.source_data_stream(),
        "ARF": samples.arf_report(),
    }


@pytest.mark.parametrize("kind", ["OVAL definitions", "source data stream", "ARF"])
@pytest.mark.parametrize("break_", list(BREAKS))
def test_a_document_is_judged_as_by_the_whole_set(
    schemas: Path, kind: str, break_: str
) -> None:
    root = copy.deepcopy(_documents()[kind])
    BREAKS[break_](root)
    data = samples.serialize(root)
    reparsed = etree.fromstring(data)

    whole = load_schema(kinds.SCAP_13_SCHEMAS, schemas, "5.11.2", None)
    expected = [_problem(error) for error in whole.iter_errors(reparsed)]
    found = validate(data, source=kind, schema_dir=schemas)

    assert _stable(found) == _stable(expected)
    assert (expected == []) == break_.startswith(("valid", "a valid"))


@pytest.mark.parametrize("kind", ["OVAL definitions", "source data stream", "ARF"])
@pytest.mark.parametrize("break_", list(BREAKS))
def test_libxml2_judges_a_document_as_the_whole_set_does(
    schemas: Path, kind: str, break_: str
) -> None:
    # The check before writing (schemas/gate.py) leaves the same platforms out.
    root = copy.deepcopy(_documents()[kind])
    BREAKS[break_](root)
    reparsed = etree.fromstring(samples.serialize(root))

    whole = gate._compiled(kinds.SCAP_13_SCHEMAS, schemas, "5.11.2", None)
    whole_accepts = whole.validate(reparsed)
    whole_says = [entry.message for entry in whole.error_log]
    declared = oval_platforms(reparsed)
    part = gate._compiled(kinds.SCAP_13_SCHEMAS, schemas, "5.11.2", declared)
    part_accepts = part.validate(reparsed)

    assert OVAL_INDEPENDENT in declared
    assert f"{OVAL_DEFINITIONS}#windows" not in declared  # some are left out
    assert part_accepts == whole_accepts
    assert [entry.message for entry in part.error_log] == whole_says
    assert whole_accepts == break_.startswith(("valid", "a valid"))


def _stable(problems: list[Problem]) -> list[Problem]:
    """The problems without the object addresses some xmlschema messages carry."""
    return [Problem(p.line, p.path, ADDRESS.sub("", p.message)) for p in problems]
