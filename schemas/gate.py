"""The check every file passes before dockscap writes it: fast, then in words.

`generate` and `evaluate` refuse to write a file the official schemas reject.
That check runs on every run, so it must cost little. libxml2 (through lxml),
the validator OpenSCAP itself uses, compiles the SCAP 1.3 set in about a
tenth of a second and validates a large ARF in milliseconds; xmlschema takes
seconds to compile the same set. So libxml2 decides, and only a document it
rejects goes to xmlschema (schemas/validation.py), whose problems read the
way `dockscap validate` reports them. Should xmlschema find nothing wrong
where libxml2 did, libxml2's own messages are given: the file is refused
either way.

A CKL is checked by validation.py alone: its schema is DISA's, named by the
user, and small.

libxml2 reads the schemas through the same Locator as xmlschema: every
location maps to a local file, OVAL is pinned to the document's version, and
a location the catalog cannot map is refused, never fetched.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Any, TypeAlias

from lxml import etree

from dockscap import namespaces
from dockscap.errors import InvalidDocumentError, SchemaError
from dockscap.safexml import parse_xml_bytes
from dockscap.schemas.catalog import INSTALL_HINT, load_catalog, local_path, schema_dir
from dockscap.schemas.kinds import (
    CKL,
    DEFAULT_OVAL_VERSION,
    OVAL_VERSIONS,
    SchemaSet,
    declared_oval_versions,
    detect_kind,
    schema_set_for,
)
from dockscap.schemas.locator import Locator, oval_platforms, platform_names

log = logging.getLogger(__name__)

Document: TypeAlias = bytes | etree._ElementTree | etree._Element

_XSD = "http://www.w3.org/2001/XMLSchema"

# How many of libxml2's messages a refusal spells out.
_SHOWN = 5


def assert_valid(
    document: Document,
    *,
    source: str,
    schema_dir: Path | None = None,
    ckl_schema: Path | None = None,
) -> None:
    """Raise InvalidDocumentError, naming SOURCE and its first problems, if invalid."""
    root = document_root(document, source)
    rejected = _libxml2_problems(root, source, schema_dir)
    if rejected == []:
        return

    from dockscap.schemas import validation

    validation.assert_valid(
        root, source=source, schema_dir=schema_dir, ckl_schema=ckl_schema
    )
    if rejected:
        raise InvalidDocumentError(
            f"{source} is not valid against the official schemas (libxml2): "
            + "; ".join(rejected[:_SHOWN])
            + (
                f" (and {len(rejected) - _SHOWN} more)"
                if len(rejected) > _SHOWN
                else ""
            )
        )


def prepare(document: Document, explicit_dir: Path | None = None) -> None:
    """Compile the schemas that checking DOCUMENT needs, without checking it.

    `evaluate` calls this while the engines answer, with a document like the
    one it will write (its data stream, its Benchmark), so that the check
    before writing costs only the validation.
    """
    root = document_root(document, "the document to prepare for")
    _schema_for(root, "the document to prepare for", explicit_dir)


def document_root(document: Document, source: str) -> etree._Element:
    """The root element of DOCUMENT; bytes are parsed the safe way."""
    if isinstance(document, bytes):
        return parse_xml_bytes(document, source=source, what="document").getroot()
    if isinstance(document, etree._ElementTree):
        return document.getroot()
    return document


def _libxml2_problems(
    root: etree._Element, source: str, explicit_dir: Path | None
) -> list[str] | None:
    """libxml2's problems with ROOT ([] when valid); None when it has no say.

    It has none for a CKL, and for an OVAL version no schema set holds, which
    validation.py reports in its own words.
    """
    schema = _schema_for(root, source, explicit_dir)
    if schema is None:
        return None
    if schema.validate(root):
        return []
    return [f"line {entry.line}: {entry.message}" for entry in schema.error_log]


def _schema_for(
    root: etree._Element, source: str, explicit_dir: Path | None
) -> etree.XMLSchema | None:
    """The compiled schemas for ROOT, or None where libxml2 has no say."""
    kind = detect_kind(root, source=source)
    if kind is CKL:
        return None
    schemas = schema_set_for(kind, root)
    oval_version = _oval_version(root, schemas)
    if oval_version is None:
        return None
    platforms = oval_platforms(root) if schemas.holds_oval else None
    return _compiled(schemas, schema_dir(explicit_dir), oval_version, platforms)


def _oval_version(root: etree._Element, schemas: SchemaSet) -> str | None:
    """The OVAL version the document declares (the newest); '' for no OVAL."""
    if not schemas.holds_oval:
        return ""
    declared = [version for version, _ in declared_oval_versions(root)]
    if any(version not in OVAL_VERSIONS for version in declared):
        return None
    return max(declared, key=OVAL_VERSIONS.index, default=DEFAULT_OVAL_VERSION)


@functools.cache
def _compiled(
    schemas: SchemaSet,
    directory: Path,
    oval_version: str,
    oval_platforms: frozenset[str] | None,
) -> etree.XMLSchema:
    """The schema set, compiled by libxml2 once per process.

    With OVAL_PLATFORMS, only those OVAL platform schemas are loaded (see
    locator.oval_platforms): the others are most of the compile time.
    """
    catalog = load_catalog(directory)
    locator = Locator(catalog, oval_version, oval_platforms)
    imports = [namespaces.XML, *schemas.namespaces]
    driver = etree.Element(f"{{{_XSD}}}schema", nsmap={"xs": _XSD})
    for namespace in imports:
        path = locator.pin(catalog.schema_for(namespace))
        if not path.is_file():
            raise SchemaError(
                f"the official SCAP schemas in {directory} are incomplete: "
                f"{path.relative_to(directory)} is missing; {INSTALL_HINT}"
            )
        etree.SubElement(
            driver,
            f"{{{_XSD}}}import",
            namespace=namespace,
            schemaLocation=path.as_uri(),
        )

    started = time.perf_counter()
    resolver = _LocalOnly(locator)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(resolver)
    try:
        with locator:
            schema = etree.XMLSchema(etree.fromstring(etree.tostring(driver), parser))
    except etree.XMLSchemaParseError as error:
        reason = resolver.refused or str(error)
        raise SchemaError(
            f"cannot load the {schemas.name} schemas from {directory}: {reason}; "
            f"{INSTALL_HINT}"
        ) from error
    log.debug(
        "libxml2 compiled the %s schemas%s in %.2f s",
        schemas.name,
        f" (OVAL {oval_version}, platforms: {platform_names(oval_platforms)})"
        if oval_version
        else "",
        time.perf_counter() - started,
    )
    return schema


class _LocalOnly(etree.Resolver):  # type: ignore[misc]  # lxml's types: Any
    """Every schema document libxml2 asks for, read from a local file or refused."""

    def __init__(self, locator: Locator) -> None:
        super().__init__()
        self._locator = locator
        self.refused = ""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        path = local_path(self._locator(system_url))
        if path is None or not path.is_file():
            self.refused = f"{system_url} is not a local schema file"
            return self.resolve_string(b"", context)
        return self.resolve_filename(str(path), context)
