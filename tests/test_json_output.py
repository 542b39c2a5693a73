"""--json: the documented, versioned shape, checked with jsonschema on real scans."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from engine_samples import MIXED, create, scan_engine
from hand_scans import container, scan
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.errors import InvalidDocumentError
from dockscap.evaluator.json_output import render_json, validate_document

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "evaluator" / "schemas" / "results-v1.schema.json"
DOC_PATH = ROOT / "docs" / "json-output.md"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    """A validator built from the schema file in the tree, not the code's copy."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.engine
def test_a_real_scan_matches_the_schema_and_the_engine(
    engine: PrivateEngine, validator: jsonschema.protocols.Validator
) -> None:
    create(engine)
    scanned = scan_engine(engine)

    data = render_json([scanned])
    document = json.loads(data)

    assert errors(validator, document) == []
    assert data.endswith(b"\n")
    assert document["schema_version"] == 1
    assert document["rule"]["rule_id"] == "SV-235808r960963_rule"
    host = document["hosts"][0]
    expected = {sample.name: sample.read_only for sample in MIXED}
    assert {item["name"]: item["read_only"] for item in host["containers"]} == expected
    writable = sum(1 for read_only in expected.values() if not read_only)
    assert host["counts"] == {
        "checked": len(MIXED),
        "pass": len(MIXED) - writable,
        "fail": writable,
        "error": 0,
        "waived": 0,
        "vanished": 0,
    }
    assert host["result"] == "fail"
    api = next(item for item in host["containers"] if item["name"] == "shop-api-1")
    assert (api["compose_project"], api["compose_service"]) == ("shop", "api")
    assert api["labels"]["env"] == "prod"
    assert len(api["id"]) == 64 and api["short_id"] == api["id"][:12]


def test_every_kind_of_container_and_several_hosts_match_the_schema(
    validator: jsonschema.protocols.Validator,
) -> None:
    first = scan(
        [
            container("a", True),
            container("b", False, labels={"com.docker.swarm.service.name": "web"}),
            container("c", None),
            container("d"),
            container("é\u0000<&>\"'", "yes"),
        ],
        vanished=["gone"],
        filters=["only containers named 'x'"],
    )
    empty = scan([], engine="docker-host-02")

    document = json.loads(render_json([first, empty]))

    assert errors(validator, document) == []
    assert [host["result"] for host in document["hosts"]] == ["fail", "pass"]
    odd = document["hosts"][0]["containers"][4]
    assert odd["name"] == "é\u0000<&>\"'"
    assert (odd["verdict"], odd["read_only"]) == ("error", None)
    assert document["hosts"][0]["containers"][1]["swarm_service"] == "web"
    assert document["hosts"][1]["containers"] == []


def test_the_documented_example_matches_the_schema(
    validator: jsonschema.protocols.Validator,
) -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)

    assert len(blocks) == 1
    assert errors(validator, json.loads(blocks[0])) == []


def test_the_documented_fields_are_the_schema_fields() -> None:
    # Every property the schema allows is named in the docs' tables, and back.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    text = DOC_PATH.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))

    allowed: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            allowed.update(node.get("properties", {}))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(schema)
    assert allowed - documented == set()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema_version",), 2),
        (("hosts",), []),
        (("hosts", 0, "result"), "notapplicable"),
        (("hosts", 0, "started"), "2025-06-02T09:15:02"),  # no UTC offset
        (("hosts", 0, "containers", 0, "read_only"), False),  # verdict pass
        (("hosts", 0, "containers", 1, "waived"), True),  # no waiver in force
        (("hosts", 0, "containers", 0, "colour"), "red"),
        (("hosts", 0, "counts", "waived"), -1),
    ],
)
def test_the_schema_refuses_documents_that_contradict_themselves(
    validator: jsonschema.protocols.Validator, path: tuple[Any, ...], value: Any
) -> None:
    good = json.loads(
        render_json([scan([container("a", True), container("b", False)])])
    )
    bad = copy.deepcopy(good)
    target = bad
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    assert errors(validator, good) == []
    assert errors(validator, bad) != []
    with pytest.raises(InvalidDocumentError, match="break results-v1.schema.json"):
        validate_document(bad)


def test_the_shipped_schema_is_the_one_in_the_tree() -> None:
    from dockscap.evaluator.json_output import schema

    assert schema() == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_scans_of_different_releases_do_not_share_a_document() -> None:
    with pytest.raises(ValueError, match="share release and rule"):
        render_json([scan([]), scan([], release="V1R1")])


@pytest.mark.engine
def test_evaluate_json_to_stdout_keeps_stdout_for_the_json_alone(
    engine: PrivateEngine, validator: jsonschema.protocols.Validator
) -> None:
    create(engine)

    run = CliRunner().invoke(main, ["evaluate", "--host", engine.url, "--json", "-"])

    assert run.exit_code == 2, run.output
    document = json.loads(run.stdout)
    assert errors(validator, document) == []
    assert len(document["hosts"][0]["containers"]) == len(MIXED)
    assert "Result: FAIL" in run.stderr
