"""dockscap's own JSON results (`evaluate --json`) and the JSON Schema they follow.

The schema ships with the evaluator, which writes the documents
(evaluator/schemas/results-v1.schema.json, described in docs/json-output.md);
the writer and `dockscap validate` check documents with the one validator here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from dockscap.schemas.problems import Problem

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

SCHEMA_VERSION = 1
SCHEMA_FILE = "results-v1.schema.json"
TOOL_NAME = "dockscap"

RESULTS_KIND = f"dockscap JSON results, schema_version {SCHEMA_VERSION}"


def is_dockscap_results(document: Mapping[str, Any]) -> bool:
    """True for a document that says it is dockscap's results, whatever else it holds.

    Those are checked against the schema, which then names every other problem.
    """
    tool = document.get("tool")
    return (
        "schema_version" in document
        and isinstance(tool, dict)
        and tool.get("name") == TOOL_NAME
    )


def validate_results(document: Mapping[str, Any]) -> list[Problem]:
    """Every place where the document breaks the results schema, by JSON path."""
    errors = sorted(
        results_validator().iter_errors(document),
        key=lambda error: _sort_key(error.absolute_path),
    )
    return [
        Problem(None, json_path(error.absolute_path), error.message) for error in errors
    ]


def results_schema() -> dict[str, Any]:
    """The JSON Schema of the current schema_version, as shipped in the package."""
    text = resources.files("dockscap.evaluator").joinpath("schemas", SCHEMA_FILE)
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def results_validator() -> Validator:
    """The schema's validator, checked once per process, with formats checked too."""
    # jsonschema is imported here, not with dockscap.schemas: evaluate runs
    # that write no JSON never need it.
    import jsonschema

    document = results_schema()
    validator_class = jsonschema.validators.validator_for(document)
    validator_class.check_schema(document)
    validator: Validator = validator_class(
        document, format_checker=validator_class.FORMAT_CHECKER
    )
    return validator


def json_path(parts: Any) -> str:
    """hosts[0].containers[2].read_only, as CKLB problems read; "(top)" for none."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top)"


def _sort_key(parts: Any) -> tuple[tuple[int, int, str], ...]:
    # Document order: array indexes as numbers (2 before 10), keys as text.
    return tuple(
        (0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in parts
    )
