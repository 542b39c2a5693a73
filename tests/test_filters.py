"""--label / --name and their exclude forms: which containers a scan covers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_samples import MIXED, create, scan_engine
from hand_scans import container, scan
from lxml import etree, html
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.errors import InputError
from dockscap.evaluator.filters import ContainerFilter, LabelSelector
from dockscap.evaluator.json_output import render_json
from dockscap.evaluator.report import render_report
from dockscap.evaluator.results import Container
from dockscap.namespaces import qname

LABELS = {"env": "prod", "tier": "", "com.docker.compose.service": "api"}


def box(name: str, labels: dict[str, str] | None = None) -> Container:
    return Container(
        id="0" * 64, name=name, image="i", state="running", labels=labels or {}
    )


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("env", "env", None),
        ("env=prod", "env", "prod"),
        ("env=", "env", ""),
        ("a=b=c", "a", "b=c"),
    ],
)
def test_label_selector_parses_key_and_value(
    text: str, key: str, value: str | None
) -> None:
    selector = LabelSelector.parse(text)

    assert (selector.key, selector.value) == (key, value)
    assert str(selector) == text


@pytest.mark.parametrize("text", ["", "=prod", " =x"])
def test_label_selector_refuses_a_missing_key(text: str) -> None:
    with pytest.raises(InputError) as raised:
        LabelSelector.parse(text)

    assert str(raised.value) == f"label {text!r}: expected KEY or KEY=VALUE"


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("env", True),
        ("env=prod", True),
        ("env=dev", False),
        ("env=", False),
        ("tier", True),
        ("tier=", True),
        ("missing", False),
    ],
)
def test_label_selector_matches_presence_or_exact_value(
    selector: str, matches: bool
) -> None:
    assert LabelSelector.parse(selector).matches(LABELS) is matches


@pytest.mark.parametrize(
    ("options", "name", "labels", "included"),
    [
        ({}, "anything", {}, True),
        ({"labels": ["env=prod"]}, "a", {"env": "prod"}, True),
        ({"labels": ["env=prod"]}, "a", {"env": "dev"}, False),
        # Several --label: every one must match, as with docker ps --filter.
        ({"labels": ["env=prod", "team"]}, "a", {"env": "prod"}, False),
        ({"labels": ["env=prod", "team"]}, "a", {"env": "prod", "team": "x"}, True),
        # Several --name: any one may match; globs are anchored and case-sensitive.
        ({"names": ["web-*", "db"]}, "db", {}, True),
        ({"names": ["web-*", "db"]}, "db-2", {}, False),
        ({"names": ["web-*"]}, "Web-1", {}, False),
        ({"names": ["web-?"]}, "web-1", {}, True),
        ({"names": ["/web-1"]}, "web-1", {}, True),
        # Exclusions win over inclusions.
        ({"names": ["web-*"], "exclude_names": ["*-canary"]}, "web-canary", {}, False),
        ({"exclude_labels": ["env=dev"]}, "a", {"env": "dev"}, False),
        ({"exclude_labels": ["env=dev"]}, "a", {"env": "prod"}, True),
        ({"exclude_labels": ["env"]}, "a", {}, True),
    ],
)
def test_includes(
    options: dict[str, list[str]], name: str, labels: dict[str, str], included: bool
) -> None:
    chosen = ContainerFilter.from_options(**options)

    assert chosen.includes(box(name, labels)) is included


def test_an_empty_filter_is_inactive_and_says_nothing() -> None:
    chosen = ContainerFilter.from_options()

    assert not chosen.active
    assert chosen.describe() == ()
    assert chosen.engine_filters() == {}


def test_describe_names_every_filter() -> None:
    chosen = ContainerFilter.from_options(
        labels=["env=prod", "team"],
        names=["web-*", "api"],
        exclude_labels=["canary"],
        exclude_names=["*-old"],
    )

    assert chosen.active
    assert chosen.describe() == (
        "only containers with label env=prod",
        "only containers with label team",
        "only containers named 'web-*' or 'api'",
        "no containers with label canary",
        "no containers named '*-old'",
    )


def test_only_include_labels_go_to_the_engine() -> None:
    chosen = ContainerFilter.from_options(
        labels=["env=prod", "team"], names=["web-*"], exclude_labels=["x"]
    )

    assert chosen.engine_filters() == {"label": ["env=prod", "team"]}


def test_an_empty_name_pattern_is_refused() -> None:
    with pytest.raises(InputError, match="name pattern '/' is empty"):
        ContainerFilter.from_options(names=["/"])


@pytest.mark.engine
@pytest.mark.parametrize(
    "labels",
    [["env=prod"], ["env"], ["env=dev"], ["env", "com.docker.compose.service"]],
)
def test_the_engine_applies_label_filters_exactly_as_includes_does(
    engine: PrivateEngine, labels: list[str]
) -> None:
    # The claim behind sending label filters to the engine: it selects the same
    # containers our own rule does, so nothing is silently dropped or added.
    create(engine)
    chosen = ContainerFilter.from_options(labels=labels)

    with engine.client() as client:
        listed = client.containers.list(all=True, filters=chosen.engine_filters())
    by_engine = {item.name for item in listed}
    by_us = {
        sample.name
        for sample in MIXED
        if chosen.includes(box(sample.name, dict(sample.labels)))
    }

    assert by_engine == by_us
    # Every case selects some containers and leaves some out, or it proves nothing.
    assert set() < by_us < {sample.name for sample in MIXED}


@pytest.mark.engine
def test_a_filtered_scan_says_so_in_json_and_html(engine: PrivateEngine) -> None:
    create(engine)
    chosen = ContainerFilter.from_options(
        labels=["env=prod"], exclude_names=["legacy-*"]
    )
    full = scan_engine(engine)
    narrowed = [item for item in full.verdicts if chosen.includes(item.container)]
    filtered = replace(full, verdicts=tuple(narrowed), filters=chosen.describe())

    document = json.loads(render_json([filtered]))
    page = html.fromstring(render_report([filtered]))

    host = document["hosts"][0]
    assert host["filtered"] is True
    assert host["filters"] == [
        "only containers with label env=prod",
        "no containers named 'legacy-*'",
    ]
    assert sorted(item["name"] for item in host["containers"]) == [
        "shop-api-1",
        "shop-web-1",
    ]
    notice = page.get_element_by_id("host-1").find_class("notice-filter")
    assert len(notice) == 1
    assert [li.text_content() for li in notice[0].iter("li")] == host["filters"]


def test_an_unfiltered_scan_says_every_container_was_checked() -> None:
    whole = scan([container("a", True)])

    document = json.loads(render_json([whole]))
    page = html.fromstring(render_report([whole]))

    assert document["hosts"][0]["filtered"] is False
    assert document["hosts"][0]["filters"] == []
    assert not page.find_class("notice-filter")
    assert (
        "every container on this engine" in page.find_class("scope")[0].text_content()
    )


@pytest.mark.engine
def test_evaluate_with_filters_checks_only_what_they_include(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    results = tmp_path / "results.json"

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", engine.url, "--json", str(results)]
        + ["--label", "env", "--exclude-label", "env=dev", "--exclude-name", "leg*"],
    )

    # From MIXED: env is on five containers; two are env=dev, one is legacy-*.
    assert run.exit_code == 2, run.output
    host = json.loads(results.read_text())["hosts"][0]
    assert sorted(item["name"] for item in host["containers"]) == [
        "shop-api-1",
        "shop-web-1",
    ]
    assert host["filters"] == [
        "only containers with label env",
        "no containers with label env=dev",
        "no containers named 'leg*'",
    ]
    assert "Filtered: only part of the engine was checked" in run.output


def test_evaluate_refuses_a_bad_label_filter_before_any_scan() -> None:
    run = CliRunner().invoke(
        main, ["evaluate", "--host", "unix:///nonexistent.sock", "--label", "=x"]
    )

    assert run.exit_code == 1
    assert run.output == "Error: label '=x': expected KEY or KEY=VALUE\n"


def test_filters_that_leave_nothing_never_read_as_an_empty_engine() -> None:
    from hand_scans import scan as hand_built_scan

    from dockscap.evaluator.ckl import render_ckl

    scan = hand_built_scan((), filters=("name matches web-readonlyy",))

    checklist = render_ckl(scan).decode()

    assert scan.message == (
        "No container matched the filters (name matches web-readonlyy); "
        "nothing was checked."
    )
    assert "found on this engine" not in checklist
    assert "No container matched the filters" in checklist


@pytest.mark.engine
def test_filters_that_match_nothing_are_an_error_never_a_pass(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    # A mistyped --name on a host with writable containers must not read as
    # compliance anywhere: not in the exit code, the XCCDF or the checklist.
    create(engine)
    xccdf, ckl = tmp_path / "results.xml", tmp_path / "host.ckl"

    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", engine.url, "--name", "typo-*"]
        + ["--results", str(xccdf), "--ckl", str(ckl)],
    )

    assert run.exit_code == 1, run.output
    assert "Result: ERROR (the filters left no container to check)" in run.output
    result = etree.parse(xccdf).find(f".//{qname('xccdf', 'rule-result')}")
    assert result is not None
    assert result.findtext(qname("xccdf", "result")) == "error"
    said = "No container matched the filters (only containers named 'typo-*')"
    message = result.findtext(qname("xccdf", "message")) or ""
    assert said in message
    assert "listed the containers the filters admit" in message
    vuln = etree.parse(ckl).find(".//VULN")
    assert vuln is not None
    assert vuln.findtext("STATUS") == "Not_Reviewed"
    assert (vuln.findtext("FINDING_DETAILS") or "").startswith(f"Not reviewed: {said}")
