"""The documents dockscap validates, told apart by their root element."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from dockscap import namespaces
from dockscap.errors import InputError


@dataclass(frozen=True)
class SchemaSet:
    """Official schemas compiled together; the first namespace's schema is the main one.

    The others are imported after it so that elements reached through lax
    wildcards (the reports and report requests of ARF, the extended components
    of a data stream) are validated too instead of skipped.
    """

    name: str
    namespaces: tuple[str, ...]
    holds_oval: bool = False


XCCDF_12_SCHEMAS = SchemaSet("XCCDF 1.2", (namespaces.XCCDF_12,))
XCCDF_11_SCHEMAS = SchemaSet("XCCDF 1.1", (namespaces.XCCDF_11,))
CPE_23_SCHEMAS = SchemaSet("CPE 2.3 dictionary", (namespaces.CPE_DICTIONARY,))
# One set serves OVAL, data streams and ARF: the data stream schema already
# pulls in XCCDF 1.2, OVAL definitions, CPE and OCIL, and loading OVAL is most
# of the cost, so sharing it is cheaper than three separate sets.
SCAP_13_SCHEMAS = SchemaSet(
    "SCAP 1.3", (namespaces.ARF, namespaces.DS), holds_oval=True
)
# OVAL results (in the ARF that `oscap xccdf eval` writes) bring every OVAL
# system-characteristics schema along, nearly doubling the load: only
# documents that hold them get this set.
SCAP_13_WITH_OVAL_RESULTS = SchemaSet(
    "SCAP 1.3 with OVAL results",
    (namespaces.ARF, namespaces.DS, namespaces.OVAL_RESULTS),
    holds_oval=True,
)

# The OVAL versions whose schemas OpenSCAP ships and dockscap validates against,
# chosen by each document's schema_version; dockscap writes 5.11.2.
OVAL_VERSIONS = ("5.11", "5.11.1", "5.11.2", "5.11.3")
DEFAULT_OVAL_VERSION = "5.11.2"


@dataclass(frozen=True)
class DocumentKind:
    name: str
    root: str
    schemas: SchemaSet | None
    """None for a CKL, whose schema is DISA's and named by the user."""


def _clark(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


XCCDF_12_BENCHMARK = DocumentKind(
    "XCCDF 1.2 Benchmark", _clark(namespaces.XCCDF_12, "Benchmark"), XCCDF_12_SCHEMAS
)
XCCDF_12_TESTRESULT = DocumentKind(
    "XCCDF 1.2 TestResult", _clark(namespaces.XCCDF_12, "TestResult"), XCCDF_12_SCHEMAS
)
XCCDF_12_TAILORING = DocumentKind(
    "XCCDF 1.2 Tailoring", _clark(namespaces.XCCDF_12, "Tailoring"), XCCDF_12_SCHEMAS
)
XCCDF_11_BENCHMARK = DocumentKind(
    "XCCDF 1.1 Benchmark", _clark(namespaces.XCCDF_11, "Benchmark"), XCCDF_11_SCHEMAS
)
OVAL_DEFINITIONS = DocumentKind(
    "OVAL definitions",
    _clark(namespaces.OVAL_DEFINITIONS, "oval_definitions"),
    SCAP_13_SCHEMAS,
)
CPE_DICTIONARY = DocumentKind(
    "CPE 2.3 dictionary", _clark(namespaces.CPE_DICTIONARY, "cpe-list"), CPE_23_SCHEMAS
)
SOURCE_DATA_STREAM = DocumentKind(
    "SCAP 1.3 source data stream",
    _clark(namespaces.DS, "data-stream-collection"),
    SCAP_13_SCHEMAS,
)
ARF_REPORT = DocumentKind(
    "ARF 1.1 asset report collection",
    _clark(namespaces.ARF, "asset-report-collection"),
    SCAP_13_SCHEMAS,
)
CKL = DocumentKind("STIG Viewer checklist (CKL)", "CHECKLIST", None)

KINDS = (
    XCCDF_12_BENCHMARK,
    XCCDF_12_TESTRESULT,
    XCCDF_12_TAILORING,
    XCCDF_11_BENCHMARK,
    OVAL_DEFINITIONS,
    CPE_DICTIONARY,
    SOURCE_DATA_STREAM,
    ARF_REPORT,
    CKL,
)
_BY_ROOT = {kind.root: kind for kind in KINDS}

# The kinds told apart otherwise than by their root element (validation.py).
OTHER_KINDS = "a CKLB checklist, dockscap's JSON results or dockscap's HTML report"

_SCHEMA_VERSION = _clark(namespaces.OVAL_COMMON, "schema_version")
_OVAL_RESULTS = _clark(namespaces.OVAL_RESULTS, "oval_results")
# OVAL 5.11 allows a platform suffix: "5.11.2:1.0".
_VERSION_PREFIX = re.compile(r"\s*(\d+(?:\.\d+)*)")


def detect_kind(root: etree._Element, *, source: str) -> DocumentKind:
    """The kind of document `root` opens, or an InputError naming what it is."""
    kind = _BY_ROOT.get(str(root.tag))
    if kind is not None:
        return kind

    where = source if root.sourceline is None else f"{source}:{root.sourceline}"
    expected = ", ".join(k.name for k in KINDS)
    raise InputError(
        f"{where}: the root element {root.tag} is not a document dockscap "
        f"validates (expected one of: {expected}; or {OTHER_KINDS})"
    )


def schema_set_for(kind: DocumentKind, root: etree._Element) -> SchemaSet:
    """The schemas that validate this document, everything it holds included."""
    assert kind.schemas is not None
    if (
        kind.schemas is SCAP_13_SCHEMAS
        and next(root.iter(_OVAL_RESULTS), None) is not None
    ):
        return SCAP_13_WITH_OVAL_RESULTS
    return kind.schemas


def describe(kind: DocumentKind, root: etree._Element, oval_version: str) -> str:
    """What a user reads after "valid": the kind, with the detail that matters."""
    if kind is XCCDF_12_BENCHMARK and root.find(XCCDF_12_TESTRESULT.root) is not None:
        return "XCCDF 1.2 Benchmark with TestResult"
    if kind is OVAL_DEFINITIONS:
        return f"OVAL {oval_version} definitions"
    return kind.name


def declared_oval_versions(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """Each OVAL schema_version the document declares, with its element."""
    found = []
    for element in root.iter(_SCHEMA_VERSION):
        match = _VERSION_PREFIX.match(element.text or "")
        found.append((match.group(1) if match else (element.text or ""), element))
    return found
