"""Validation against the official schemas, loaded offline and cached per process.

xmlschema compiles each schema set once per process (the SCAP 1.3 set, with
every OVAL platform schema, takes the longest); the compiled schema only ever
reads local files: remote locations are mapped by the catalog or refused.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import xmlschema
from lxml import etree
from xmlschema.exceptions import XMLSchemaWarning

from dockscap import namespaces
from dockscap.errors import InputError, InvalidDocumentError, SchemaError
from dockscap.safexml import parse_json_bytes, parse_xml_bytes, read_limited
from dockscap.schemas.catalog import (
    INSTALL_HINT,
    ckl_schema_file,
    load_catalog,
    schema_dir,
)
from dockscap.schemas.ckl import CKL_STRUCTURAL_KIND, ckl_structure
from dockscap.schemas.cklb import CKLB_KIND, is_cklb, validate_cklb
from dockscap.schemas.gate import Document, document_root
from dockscap.schemas.html_report import (
    HTML_REPORT_KIND,
    is_html_report,
    validate_html_report,
)
from dockscap.schemas.identities import follow_xsd_identity_rules
from dockscap.schemas.json_results import (
    RESULTS_KIND,
    is_dockscap_results,
    validate_results,
)
from dockscap.schemas.kinds import (
    CKL,
    DEFAULT_OVAL_VERSION,
    OVAL_VERSIONS,
    SchemaSet,
    declared_oval_versions,
    describe,
    detect_kind,
    schema_set_for,
)
from dockscap.schemas.locator import Locator, oval_platforms, platform_names
from dockscap.schemas.problems import Problem, element_path

log = logging.getLogger(__name__)

# How many problems an InvalidDocumentError spells out.
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Validation:
    """The outcome for one document: what it is and what is wrong with it."""

    source: str
    kind: str
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


def validate(
    document: Document,
    *,
    source: str = "<document>",
    schema_dir: Path | None = None,
    ckl_schema: Path | None = None,
) -> list[Problem]:
    """Every problem the official schema finds in `document`; empty when valid.

    The schema is chosen by the root element. Bytes are parsed with
    dockscap.safexml, so what cannot be parsed raises InputError, as does a
    root element dockscap does not know; SchemaError when the schemas are
    missing.
    """
    return list(
        _validate_root(
            document_root(document, source), source, schema_dir, ckl_schema
        ).problems
    )


def assert_valid(
    document: Document,
    *,
    source: str,
    schema_dir: Path | None = None,
    ckl_schema: Path | None = None,
) -> None:
    """Raise InvalidDocumentError naming `source` and its first problems."""
    outcome = _validate_root(
        document_root(document, source), source, schema_dir, ckl_schema
    )
    if outcome.valid:
        return
    raise InvalidDocumentError(_summary(outcome))


def validate_file(
    path: Path, *, schema_dir: Path | None = None, ckl_schema: Path | None = None
) -> Validation:
    """Read a user's file safely, tell its kind and validate it.

    dockscap's HTML report is told by its HTML5 doctype, a JSON document by its
    top-level keys (schemas/json_results.py, schemas/cklb.py), any other XML
    document by its root element (schemas/kinds.py).
    """
    source = str(path)
    data = read_limited(path, what="document")

    if is_html_report(data):
        problems = validate_html_report(data, source=source)
        return Validation(source, HTML_REPORT_KIND, tuple(problems))
    if _looks_like_json(data):
        return _validate_json(data, source)

    tree = parse_xml_bytes(data, source=source, what="document")
    return _validate_root(tree.getroot(), source, schema_dir, ckl_schema)


def _validate_json(data: bytes, source: str) -> Validation:
    """A JSON document is told by its top-level keys: dockscap's results or a CKLB."""
    document = parse_json_bytes(data, source=source, what="document")

    if is_dockscap_results(document):
        return Validation(source, RESULTS_KIND, tuple(validate_results(document)))
    if is_cklb(document):
        return Validation(source, CKLB_KIND, tuple(validate_cklb(document)))
    raise InputError(
        f"{source}: the JSON document is neither a CKLB checklist (with "
        "cklb_version, stigs and target_data) nor dockscap's JSON results (with "
        'schema_version and tool.name "dockscap"), the JSON documents dockscap '
        "validates"
    )


def load_schema(
    schemas: SchemaSet,
    directory: Path,
    oval_version: str = DEFAULT_OVAL_VERSION,
    oval_platforms: frozenset[str] | None = None,
) -> xmlschema.XMLSchema10:
    """The compiled schema set, from this process's cache after the first call.

    With OVAL_PLATFORMS (namespaces), the OVAL platform schemas of other
    namespaces are left out: see locator.oval_platforms.
    """
    version = oval_version if schemas.holds_oval else ""
    platforms = oval_platforms if schemas.holds_oval else None
    return _compiled(schemas, directory, version, platforms)


def _validate_root(
    root: etree._Element,
    source: str,
    explicit_dir: Path | None,
    ckl_schema: Path | None,
) -> Validation:
    kind = detect_kind(root, source=source)
    started = time.perf_counter()

    if kind is CKL:
        named = ckl_schema_file(ckl_schema)
        if named is None:
            return Validation(source, CKL_STRUCTURAL_KIND, tuple(ckl_structure(root)))
        schema = _ckl_compiled(named)
        oval_version = ""
    else:
        schemas = schema_set_for(kind, root)
        oval_version, version_problem = _oval_version(root, schemas)
        if version_problem is not None:
            return Validation(source, kind.name, (version_problem,))
        schema = load_schema(
            schemas, schema_dir(explicit_dir), oval_version, oval_platforms(root)
        )

    problems = tuple(_problem(error) for error in schema.iter_errors(root))
    log.debug(
        "validated %s as %s: %d problems in %.2f s",
        source,
        kind.name,
        len(problems),
        time.perf_counter() - started,
    )
    return Validation(source, describe(kind, root, oval_version), problems)


def _oval_version(
    root: etree._Element, schemas: SchemaSet
) -> tuple[str, Problem | None]:
    """The OVAL version to validate against: the newest one the document declares."""
    if not schemas.holds_oval:
        return "", None

    declared = declared_oval_versions(root)
    for version, element in declared:
        if version not in OVAL_VERSIONS:
            return "", Problem(
                element.sourceline,
                element_path(element),
                f"OVAL schema_version {version!r} is not one dockscap validates "
                f"({', '.join(OVAL_VERSIONS)})",
            )
    if not declared:
        return DEFAULT_OVAL_VERSION, None
    return max((v for v, _ in declared), key=_version_key), None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.cache
def _compiled(
    schemas: SchemaSet,
    directory: Path,
    oval_version: str,
    oval_platforms: frozenset[str] | None,
) -> xmlschema.XMLSchema10:
    catalog = load_catalog(directory)
    locator = Locator(catalog, oval_version, oval_platforms)
    main, *extras = (locator.pin(catalog.schema_for(ns)) for ns in schemas.namespaces)
    xml_schema = catalog.schema_for(namespaces.XML)
    _require_files([main, xml_schema, *extras], directory)

    # catalog.xsd imports the xml namespace without a location; the extra
    # namespaces are imported after the main schema (see SchemaSet).
    locations = [(namespaces.XML, str(xml_schema))]
    extra_namespaces = schemas.namespaces[1:]
    locations += [(ns, str(p)) for ns, p in zip(extra_namespaces, extras, strict=True)]

    started = time.perf_counter()
    with locator, warnings.catch_warnings():
        # A failed import is only a warning to xmlschema, and would leave us
        # validating against half a schema: make it an error.
        warnings.simplefilter("error", XMLSchemaWarning)
        try:
            # validation="skip": the published XSDs are not checked against
            # the XSD meta-schema again, which more than doubles the load
            # (13 s against 5.6 s for the SCAP 1.3 set, measured on one run).
            schema = xmlschema.XMLSchema10(
                str(main),
                locations=locations,
                uri_mapper=locator,
                allow="local",
                use_fallback=False,
                validation="skip",
            )
        except (xmlschema.XMLSchemaException, XMLSchemaWarning) as error:
            raise SchemaError(
                f"cannot load the {schemas.name} schemas from {directory}: "
                f"{_first_line(error).rstrip('.')}. dockscap reads schemas from "
                "local files only (remote locations through its catalog); "
                f"{INSTALL_HINT}"
            ) from error

    follow_xsd_identity_rules(schema)
    log.debug(
        "loaded the %s schemas%s from %s in %.1f s",
        schemas.name,
        f" (OVAL {oval_version}, platforms: {platform_names(oval_platforms)})"
        if oval_version
        else "",
        directory,
        time.perf_counter() - started,
    )
    return schema


@functools.cache
def _ckl_compiled(path: Path) -> xmlschema.XMLSchema10:
    with warnings.catch_warnings():
        warnings.simplefilter("error", XMLSchemaWarning)
        try:
            # The user named this file: parse it defused, and let it reach
            # nothing but local files.
            return xmlschema.XMLSchema10(
                str(path), allow="local", defuse="always", use_fallback=False
            )
        except (xmlschema.XMLSchemaException, XMLSchemaWarning) as error:
            raise SchemaError(
                f"{path}: cannot load the CKL schema: {_first_line(error)}"
            ) from error


def _require_files(paths: list[Path], directory: Path) -> None:
    for path in paths:
        if not path.is_file():
            raise SchemaError(
                f"the official SCAP schemas in {directory} are incomplete: "
                f"{path.relative_to(directory)} is missing; {INSTALL_HINT}"
            )


def _problem(error: xmlschema.XMLSchemaValidationError) -> Problem:
    message = (error.reason or error.message).strip()
    if isinstance(error.obj, str) and repr(error.obj) not in message:
        # Facet errors on element text leave out the text that broke them.
        message = f"{message} (found {error.obj!r})"
    element = error.elem
    if isinstance(element, etree._Element):
        return Problem(element.sourceline, element_path(element), message)
    return Problem(error.sourceline, error.path or "/", message)


def _summary(outcome: Validation) -> str:
    shown = [str(problem) for problem in outcome.problems[:_SHOWN_PROBLEMS]]
    more = len(outcome.problems) - len(shown)
    tail = f" (and {more} more)" if more > 0 else ""
    return f"{outcome.source} is not a valid {outcome.kind}: " + "; ".join(shown) + tail


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _looks_like_json(data: bytes) -> bool:
    """JSON opens with { or [; a bare JSON value (null, 3, "x") is JSON too.

    A bare value is no document dockscap writes, but calling it "not
    well-formed XML" would send the user looking in the wrong place.
    """
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] in (b"{", b"["):
        return True
    if start[:1] == b"<":
        return False
    try:
        json.loads(start)
    except ValueError:
        return False
    return True
