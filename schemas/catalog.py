"""Where the official schemas are: the schema directory and dockscap's XML catalog.

dockscap ships no schema it did not author. It finds the published XSDs in a
schema directory laid out as OpenSCAP installs them (`openscap-common`), and
reads `catalog.xml` (OASIS XML Catalogs 1.1) to know which file defines a
namespace and which local file stands for a remote schemaLocation.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dockscap import namespaces
from dockscap.errors import SchemaError
from dockscap.safexml import parse_xml_bytes

DEFAULT_SCHEMA_DIR = Path("/usr/share/openscap/schemas")
SCHEMAS_ENV = "DOCKSCAP_SCHEMAS"
CKL_SCHEMA_ENV = "DOCKSCAP_CKL_SCHEMA"

INSTALL_HINT = (
    "install them with `apt-get install openscap-common`, or set "
    f"{SCHEMAS_ENV} to a directory that holds them (dockscap validate also "
    "takes --schemas DIR)"
)

_CATALOG_FILE = "catalog.xml"


def schema_dir(explicit: Path | None = None) -> Path:
    """The schema directory: `explicit`, else $DOCKSCAP_SCHEMAS, else OpenSCAP's."""
    from_env = os.environ.get(SCHEMAS_ENV)
    if explicit is not None:
        chosen = Path(explicit)
    elif from_env:
        chosen = Path(from_env)
    else:
        chosen = DEFAULT_SCHEMA_DIR

    if not chosen.is_dir():
        raise SchemaError(
            f"the official SCAP schemas are not available: {chosen} is not a "
            f"directory; {INSTALL_HINT}"
        )
    return chosen.resolve()


def ckl_schema_file(explicit: Path | None = None) -> Path | None:
    """DISA's checklist schema that the user named, which dockscap never ships.

    None when none is named: a CKL then gets dockscap's structural check.
    """
    from_env = os.environ.get(CKL_SCHEMA_ENV)
    chosen = Path(explicit) if explicit is not None else None
    if chosen is None and from_env:
        chosen = Path(from_env)

    if chosen is None:
        return None
    if not chosen.is_file():
        raise SchemaError(f"{chosen}: the CKL schema file does not exist")
    return chosen.resolve()


@dataclass(frozen=True)
class Catalog:
    """The entries of catalog.xml, resolved against one schema directory."""

    directory: Path
    namespaces: dict[str, Path]
    systems: dict[str, Path]
    rewrites: tuple[tuple[str, Path], ...]

    def schema_for(self, namespace: str) -> Path:
        """The schema document that defines `namespace`."""
        try:
            return self.namespaces[namespace]
        except KeyError:
            raise SchemaError(
                f"dockscap's schema catalog names no schema for {namespace}"
            ) from None

    def resolve(self, location: str) -> str:
        """A remote schemaLocation mapped to its local file URL.

        Anything the catalog does not map comes back unchanged; the schema
        loader allows local files only, so an unmapped remote location is
        refused there, never fetched.
        """
        key = _http_form(location)
        if key in self.systems:
            return self.systems[key].as_uri()

        for prefix, target in self.rewrites:
            if key.startswith(prefix):
                return (target / key[len(prefix) :]).as_uri()
        return location


@functools.cache
def load_catalog(directory: Path) -> Catalog:
    """dockscap's catalog.xml, with its relative uris resolved against `directory`."""
    data = resources.files(__package__).joinpath(_CATALOG_FILE).read_bytes()
    root = parse_xml_bytes(data, source=_CATALOG_FILE, what="schema catalog").getroot()

    def entries(local: str, *names: str) -> list[tuple[str, ...]]:
        tag = f"{{{namespaces.CATALOG}}}{local}"
        return [tuple(str(e.get(n)) for n in names) for e in root.iter(tag)]

    return Catalog(
        directory=directory,
        namespaces={n: directory / u for n, u in entries("uri", "name", "uri")},
        systems={
            _http_form(s): directory / u
            for s, u in entries("system", "systemId", "uri")
        },
        # Longest prefix first, as OASIS catalogs resolve rewrites.
        rewrites=tuple(
            sorted(
                (
                    (_http_form(s), directory / p)
                    for s, p in entries(
                        "rewriteSystem", "systemIdStartString", "rewritePrefix"
                    )
                ),
                key=lambda entry: -len(entry[0]),
            )
        ),
    )


def local_path(location: str) -> Path | None:
    """The file a file: URL or a plain path names; None for remote locations."""
    parts = urlsplit(location)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or len(parts.scheme) == 1:
        # A plain path (a one-letter scheme is a Windows drive).
        return Path(location)
    return None


def _http_form(location: str) -> str:
    # The same schema is published under http:// and https://.
    if location.startswith("https://"):
        return "http://" + location[len("https://") :]
    return location
