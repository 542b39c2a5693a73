"""How the official XSDs are found and loaded, offline, and what validates against them.

The schemas come from an OpenSCAP installation (`/usr/share/openscap/schemas`)
or a directory the user names; `catalog.xml` maps namespaces and remote
schemaLocations to files there, so validation never reaches the network.

The names below are imported when first used: the writers import the light
modules of this package (problems, json_results, html_report, ckl) without
waiting for xmlschema, which validation.py needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockscap.schemas.catalog import ckl_schema_file, schema_dir
    from dockscap.schemas.cklb import assert_valid_cklb, validate_cklb
    from dockscap.schemas.gate import assert_valid, prepare
    from dockscap.schemas.kinds import KINDS, DocumentKind, detect_kind
    from dockscap.schemas.problems import Problem
    from dockscap.schemas.validation import (
        Validation,
        load_schema,
        validate,
        validate_file,
    )

_MODULES = {
    "ckl_schema_file": "catalog",
    "schema_dir": "catalog",
    "assert_valid_cklb": "cklb",
    "validate_cklb": "cklb",
    "KINDS": "kinds",
    "DocumentKind": "kinds",
    "detect_kind": "kinds",
    "Problem": "problems",
    "Validation": "validation",
    "assert_valid": "gate",
    "prepare": "gate",
    "load_schema": "validation",
    "validate": "validation",
    "validate_file": "validation",
}

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
    "prepare",
    "schema_dir",
    "validate",
    "validate_cklb",
    "validate_file",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
