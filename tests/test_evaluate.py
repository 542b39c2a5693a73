"""`dockscap evaluate` on a real engine: verdicts, summary, exit codes, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from dockscap.evaluator import command
from dockscap.evaluator.engine import ListedContainer, connect
from dockscap.evaluator.results import Verdict
from dockscap.evaluator.scan import scan
from dockscap.generator.content import load_benchmark
from evaluate_support import (
    ALL_READ_ONLY,
    MIXED,
    RULE_IDS,
    hand_scan,
    make_containers,
    real_scan,
)
from lxml import etree
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.namespaces import qname

pytestmark = pytest.mark.engine

WRITABLE = {spec.name for spec in MIXED if not spec.read_only}
READ_ONLY = {spec.name for spec in MIXED if spec.read_only}


def evaluate(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["evaluate", *arguments], catch_exceptions=False)


def section(output: str, heading: str) -> list[str]:
    """The first word of each line under HEADING, up to the next blank line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 2 :]:  # the heading, then the table's header
        if not line.strip():
            break
        rows.append(line.split()[0])
    return rows


def test_each_container_gets_the_verdict_its_flag_gives(engine: PrivateEngine) -> None:
    ids = make_containers(engine, MIXED)

    result = real_scan(engine)

    decided = {item.container.name: item for item in result.verdicts}
    assert {name: item.verdict for name, item in decided.items()} == {
        spec.name: spec.expected for spec in MIXED
    }
    assert {name: item.container.state for name, item in decided.items()} == {
        spec.name: spec.state for spec in MIXED
    }
    assert {name: item.container.id for name, item in decided.items()} == ids
    assert result.result is Verdict.FAIL
    assert result.vanished == ()


def test_a_mixed_engine_fails_with_exit_2_and_names_the_writable_ones(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    ids = make_containers(engine, MIXED)
    xccdf = tmp_path / "results.xml"

    run = evaluate("--host", engine.url, "--results", str(xccdf))

    assert run.exit_code == 2, run.output
    assert sorted(section(run.output, "Writable root filesystem")) == sorted(WRITABLE)
    for name in WRITABLE:
        row = next(line for line in run.output.splitlines() if line.startswith(name))
        assert ids[name][:12] in row
    assert f"Containers checked: {len(MIXED)}" in run.output
    assert "Result: FAIL" in run.output

    message = etree.parse(xccdf).findtext(f".//{qname('xccdf', 'message')}")
    assert message is not None
    failing = {line[2:].split(" (")[0] for line in message.splitlines() if "- " in line}
    assert failing == WRITABLE


def test_an_engine_of_read_only_containers_passes_with_exit_0(
    engine: PrivateEngine,
) -> None:
    make_containers(engine, ALL_READ_ONLY)

    run = evaluate("--host", engine.url)

    assert run.exit_code == 0, run.output
    assert f"Containers checked: {len(ALL_READ_ONLY)}" in run.output
    assert "Writable root filesystem" not in run.output
    assert "Result: PASS" in run.output


def test_an_engine_without_containers_passes_and_says_so(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    xccdf = tmp_path / "results.xml"

    run = evaluate("--host", engine.url, "--release", "V1R1", "--results", str(xccdf))

    assert run.exit_code == 0, run.output
    assert "no containers were found" in run.output
    rule_result = etree.parse(xccdf).find(f".//{qname('xccdf', 'rule-result')}")
    assert rule_result is not None
    assert rule_result.get("idref") == f"xccdf_mil.disa.stig_rule_{RULE_IDS['V1R1']}"
    assert rule_result.findtext(qname("xccdf", "result")) == "pass"


def test_a_container_removed_during_the_scan_is_named_not_counted(
    engine: PrivateEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_containers(engine, MIXED[:3])
    benchmark = load_benchmark()

    with connect(engine.url) as connection:
        listing = connection.containers

        def list_then_remove() -> list[ListedContainer]:
            listed = listing()
            with engine.client() as client:
                client.containers.get("ro-exited").remove(force=True)
            return listed

        monkeypatch.setattr(connection, "containers", list_then_remove)
        result = scan(connection, benchmark, benchmark.release(None))

    assert result.vanished == ("ro-exited",)
    assert {item.container.name for item in result.verdicts} == {
        "ro-running",
        "ro-created",
    }
    assert "removed during the scan" in result.message


def test_an_error_result_exits_1(
    engine: PrivateEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No engine reports a non-boolean ReadonlyRootfs, so the scan is made by hand.
    undecided = hand_scan("V2R2", {"odd": {"HostConfig": {}}})
    monkeypatch.setattr(command, "scan", lambda *_: undecided)
    xccdf = tmp_path / "results.xml"

    run = evaluate("--host", engine.url, "--results", str(xccdf))

    assert run.exit_code == 1, run.output
    assert "Could not be decided (1)" in run.output
    assert "Result: ERROR" in run.output
    assert xccdf.is_file()


@pytest.fixture
def refusing_socket(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that exists but where nothing accepts connections."""
    path = tmp_path / "refusing.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(str(path))
        yield path


@pytest.mark.parametrize(
    ("where", "problem", "hint"),
    [
        ("missing", "no socket at", "is the Docker engine running?"),
        ("refusing", "connection refused", "is the Docker engine running?"),
    ],
)
def test_an_unreachable_engine_is_one_error_line_and_no_file(
    where: str,
    problem: str,
    hint: str,
    tmp_path: Path,
    refusing_socket: Path,
) -> None:
    path = refusing_socket if where == "refusing" else tmp_path / "missing.sock"
    xccdf = tmp_path / "results.xml"
    xccdf.write_text("an earlier result")

    run = CliRunner().invoke(
        main, ["evaluate", "--host", f"unix://{path}", "--results", str(xccdf)]
    )

    assert run.exit_code == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"Error: unix://{path}: {problem}")
    assert hint in line
    assert xccdf.read_text() == "an earlier result"


def test_tls_without_certificates_says_where_they_are_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path))

    run = CliRunner().invoke(main, ["evaluate"])

    assert run.exit_code == 1
    assert "the TLS settings cannot be used" in run.stderr
    assert "DOCKER_CERT_PATH" in run.stderr


def test_an_unknown_release_is_refused_before_the_engine_is_asked(
    tmp_path: Path,
) -> None:
    run = CliRunner().invoke(
        main,
        ["evaluate", "--host", f"unix://{tmp_path}/none.sock", "--release", "V9R9"],
    )

    assert run.exit_code == 1
    assert "unknown STIG release 'V9R9'" in run.stderr
