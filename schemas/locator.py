"""Where a schema loader finds each schema document: local files, one OVAL version.

Both validators (schemas/gate.py, libxml2; schemas/validation.py, xmlschema)
map every schemaLocation through a Locator, so that they read the same files
and neither ever reaches the network.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path

from lxml import etree

from dockscap.schemas.catalog import Catalog, local_path
from dockscap.schemas.kinds import OVAL_VERSIONS

# The namespaces of OVAL's platform schemas (independent, unix, windows, ...).
OVAL_PLATFORM = re.compile(
    r"^http://oval\.mitre\.org/XMLSchema/oval-(definitions|system-characteristics)"
    r"-5#\w+$"
)
_XSD = "http://www.w3.org/2001/XMLSchema"


class Locator:
    """A schema loader's map: catalog entries for remote locations, one OVAL version.

    The data stream schema imports OVAL from another version directory than
    the document may declare; every OVAL schema is taken from the directory of
    the chosen version, so that one compiled set never mixes two versions.
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

    def __call__(self, location: str) -> str:
        resolved = self._catalog.resolve(location)
        path = local_path(resolved)
        if path is None:
            return resolved
        pinned = self.pin(path)
        left_out = self._left_out(pinned)
        if left_out is not None:
            return _empty_schema(left_out).as_uri()
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


@functools.cache
def _empty_schema(namespace: str) -> Path:
    """A schema of NAMESPACE that declares nothing, in a folder of this process."""
    folder = _empty_schemas_folder()
    path = folder / f"{len(list(folder.iterdir()))}.xsd"
    root = etree.Element(
        f"{{{_XSD}}}schema", nsmap={"xs": _XSD}, targetNamespace=namespace
    )
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


@functools.cache
def _empty_schemas_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dockscap-schemas-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
