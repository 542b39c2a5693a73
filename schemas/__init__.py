"""How the official XSDs are found and loaded, offline, and what validates against them.

The schemas come from an OpenSCAP installation (`/usr/share/openscap/schemas`)
or a directory the user names; `catalog.xml` maps namespaces and remote
schemaLocations to files there, so validation never reaches the network.
"""

from dockscap.schemas.catalog import ckl_schema_file, schema_dir
from dockscap.schemas.cklb import assert_valid_cklb, validate_cklb
from dockscap.schemas.kinds import KINDS, DocumentKind, detect_kind
from dockscap.schemas.problems import Problem
from dockscap.schemas.validation import (
    Validation,
    assert_valid,
    load_schema,
    validate,
    validate_file,
)

__all__ = [
    "KINDS",
    "DocumentKind",
    "Problem",
    "Validation",
    "assert_valid",
    "assert_valid_cklb",
    "ckl_schema_file",
    "detect_kind",
    "load_schema",
    "schema_dir",
    "validate",
    "validate_cklb",
    "validate_file",
]
