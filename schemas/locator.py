"""Where a schema loader finds each schema document: local files, one OVAL version.

Both validators (schemas/gate.py, libxml2; schemas/validation.py, xmlschema)
map every schemaLocation through a Locator, so that they read the same files
and neither ever reaches the network.
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path
from types import TracebackType

from lxml import etree

from dockscap.schemas.catalog import Catalog, local_path
from dockscap.schemas.kinds import OVAL_VERSIONS

# The namespaces of OVAL's platform schemas (independent, unix, windows, ...).
OVAL_PLATFORM = re.compile(
    r"^http://oval\.mitre\.org/XMLSchema/oval-(definitions|system-characteristics)"
    r"-5#\w+$"
)
_XSD = "http://www.w3.org/2001/XMLSchema"


def oval_platforms(root: etree._Element) -> frozenset[str]:
    """The OVAL platform namespaces (oval-definitions-5#unix, ...) ROOT declares.

    OpenSCAP's OVAL definitions and system characteristics schemas import all
    their platform schemas (some twenty each: Windows, Solaris, IOS, ...),
    most of the SCAP 1.3 set's load time. Nothing in the set refers to a
    platform schema's components but its own namespace's elements
    (tests/test_schema_platforms.py checks that of the installed files), and
    a document holds an element, attribute or xsi:type of a namespace only
    where it declares it. So the platforms a document does not declare cannot
    take part in its validation, and leaving them out validates it exactly as
    the whole set would.
    """
    declared = {str(uri) for _, uri in root.xpath("//namespace::*")}
    return frozenset(uri for uri in declared if OVAL_PLATFORM.match(uri))


def platform_names(platforms: frozenset[str] | None) -> str:
    """PLATFORMS for a log line: 'independent, unix'; 'all' for None."""
    if platforms is None:
        return "all"
    return ", ".join(sorted(uri.rpartition("#")[2] for uri in platforms)) or "none"


class Locator:
    """A schema loader's map: catalog entries for remote locations, one OVAL version.

    The data stream schema imports OVAL from another version directory than
    the document may declare; every OVAL schema is taken from the directory of
    the chosen version, so that one compiled set never mixes two versions.

    With OVAL_PLATFORMS, the platform schemas of other namespaces are replaced
    by empty ones (see oval_platforms). Those are files of the Locator's own,
    removed when the `with` block that loads the schemas ends.
    """

    def __init__(
        self,
        catalog: Catalog,
        oval_version: str,
        oval_platforms: frozenset[str] | None = None,
    ) -> None:
        self._catalog = catalog
        self._oval_version = oval_version
        self._oval_dir = catalog.directory / "oval"
        self._oval_platforms = oval_platforms
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._empty_schemas: dict[str, Path] = {}

    def __enter__(self) -> Locator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
            self._empty_schemas.clear()

    def __call__(self, location: str) -> str:
        resolved = self._catalog.resolve(location)
        path = local_path(resolved)
        if path is None:
            return resolved
        pinned = self.pin(path)
        left_out = self._left_out(pinned)
        if left_out is not None:
            return self._empty_schema(left_out).as_uri()
        return resolved if pinned == path else pinned.as_uri()

    def _left_out(self, path: Path) -> str | None:
        """The namespace of an OVAL platform schema the document does not use."""
        if self._oval_platforms is None or not path.is_relative_to(self._oval_dir):
            return None
        namespace = _target_namespace(path)
        if namespace is None or not OVAL_PLATFORM.match(namespace):
            return None
        return None if namespace in self._oval_platforms else namespace

    def pin(self, path: Path) -> Path:
        if not self._oval_version or not path.is_relative_to(self._oval_dir):
            return path
        version, *rest = path.relative_to(self._oval_dir).parts
        if version not in OVAL_VERSIONS or not rest:
            return path
        return self._oval_dir.joinpath(self._oval_version, *rest)

    def _empty_schema(self, namespace: str) -> Path:
        """The schema of NAMESPACE that declares nothing, one file per namespace."""
        path = self._empty_schemas.get(namespace)
        if path is None:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="dockscap-schemas-")
            path = Path(self._folder.name) / f"{len(self._empty_schemas)}.xsd"
            root = etree.Element(
                f"{{{_XSD}}}schema", nsmap={"xs": _XSD}, targetNamespace=namespace
            )
            path.write_bytes(
                etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            )
            self._empty_schemas[namespace] = path
        return path


@functools.cache
def _target_namespace(path: Path) -> str | None:
    """The targetNamespace of a schema document, read from its root element only."""
    try:
        for _, element in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True
        ):
            namespace = element.get("targetNamespace")
            return str(namespace) if namespace is not None else None
    except (OSError, etree.XMLSyntaxError):
        return None  # the schema loader reports it in its own words
    return None
