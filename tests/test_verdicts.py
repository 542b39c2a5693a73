"""DESIGN.md's verdict table, and the container record, on hand-made inspect documents.

A real engine always reports ReadonlyRootfs as a boolean; these documents are
what other engines, proxies or future API versions might send instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from evaluate_support import hand_scan

from dockscap.evaluator.engine import ListedContainer, container_from_inspect
from dockscap.evaluator.results import Verdict
from dockscap.evaluator.verdicts import readonly_rootfs_verdict

ABSENT = object()


def inspect(readonly: object = ABSENT, **extra: Any) -> dict[str, Any]:
    host_config = {} if readonly is ABSENT else {"ReadonlyRootfs": readonly}
    return {"HostConfig": host_config, **extra}


@pytest.mark.parametrize(
    ("document", "verdict", "reason"),
    [
        (inspect(True), Verdict.PASS, "HostConfig.ReadonlyRootfs is true"),
        (inspect(False), Verdict.FAIL, "HostConfig.ReadonlyRootfs is false"),
        (inspect(), Verdict.ERROR, "HostConfig.ReadonlyRootfs is missing"),
        (inspect(None), Verdict.ERROR, "HostConfig.ReadonlyRootfs is null"),
        (inspect("true"), Verdict.ERROR, "'true', not a boolean"),
        (inspect("false"), Verdict.ERROR, "'false', not a boolean"),
        (inspect(1), Verdict.ERROR, "1, not a boolean"),
        (inspect(0), Verdict.ERROR, "0, not a boolean"),
        (inspect([True]), Verdict.ERROR, "not a boolean"),
        ({}, Verdict.ERROR, "no HostConfig"),
        ({"HostConfig": None}, Verdict.ERROR, "no HostConfig"),
        ({"HostConfig": "ReadonlyRootfs=true"}, Verdict.ERROR, "no HostConfig"),
    ],
    ids=[
        "true",
        "false",
        "missing",
        "null",
        "string-true",
        "string-false",
        "one",
        "zero",
        "list",
        "no-hostconfig",
        "hostconfig-null",
        "hostconfig-string",
    ],
)
def test_the_verdict_table(
    document: dict[str, Any], verdict: Verdict, reason: str
) -> None:
    decided, why = readonly_rootfs_verdict(document)

    assert decided is verdict
    assert reason in why


def test_only_json_true_ever_passes() -> None:
    truthy = [1, "true", "True", "yes", [True], {"value": True}, 1.0]

    assert [readonly_rootfs_verdict(inspect(value))[0] for value in truthy] == [
        Verdict.ERROR
    ] * len(truthy)


@pytest.mark.parametrize(
    ("verdicts", "host"),
    [
        ({}, Verdict.PASS),
        ({"a": True, "b": True}, Verdict.PASS),
        ({"a": True, "b": False}, Verdict.FAIL),
        ({"a": True, "b": None}, Verdict.ERROR),
        ({"a": False, "b": None, "c": True}, Verdict.FAIL),
        ({"a": None}, Verdict.ERROR),
    ],
    ids=["none", "all-pass", "one-fail", "one-error", "fail-beats-error", "error"],
)
def test_the_host_result(verdicts: dict[str, object], host: Verdict) -> None:
    scan = hand_scan("V2R2", {name: inspect(value) for name, value in verdicts.items()})

    assert scan.result is host


def test_a_host_without_containers_says_none_were_found() -> None:
    scan = hand_scan("V2R2", {})

    assert scan.result is Verdict.PASS
    assert "No containers were found" in scan.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/web", "web"),  # Docker
        ("web", "web"),  # Podman's compatible API
        ("//odd", "/odd"),  # only one slash is Docker's
    ],
)
def test_names_lose_exactly_one_leading_slash(name: str, expected: str) -> None:
    container = container_from_inspect({"Id": "a" * 64, "Name": name})

    assert container.name == expected


def test_the_container_record_reads_image_state_and_labels() -> None:
    document = {
        "Id": "0123456789ab" + "c" * 52,
        "Name": "/shop-web-1",
        "Image": "sha256:" + "d" * 64,
        "Config": {"Image": "nginx:1.25", "Labels": {"env": "prod"}},
        "State": {"Status": "paused"},
    }

    container = container_from_inspect(document)

    assert (container.short_id, container.image, container.state) == (
        "0123456789ab",
        "nginx:1.25",
        "paused",
    )
    assert dict(container.labels) == {"env": "prod"}


def test_odd_documents_give_a_record_from_the_listing() -> None:
    listed = ListedContainer("f" * 64, "from-listing")

    container = container_from_inspect({"Config": None, "State": "?"}, listed)

    assert (container.id, container.name) == ("f" * 64, "from-listing")
    assert (container.image, container.state) == ("unknown", "unknown")
