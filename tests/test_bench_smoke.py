"""The benchmark (bench/run.py) works end to end, and its checks can fail.

A small run on the private engine: 50 containers, one round, every tool. The
test asserts what each tool found against the engine's own state, read here
through the docker SDK, never against timings: the figures come from running
the benchmark by hand (README, Benchmark).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from private_engine import PrivateEngine

sys.path.insert(0, str(ROOT / "bench"))

from audit import audit  # noqa: E402
from measure import Sample  # noqa: E402
from run import SizeResult, ToolResult, _linear_growth  # noqa: E402
from tools import (  # noqa: E402
    Finding,
    Run,
    disagreements,
    read_inspect_json,
    read_stig_lines,
)

BENCH = ROOT / "bench" / "run.py"
SIZE = 50
ID = "0123456789abcdef" * 4


def run_bench(engine: PrivateEngine, out: Path, *options: str) -> Any:
    return subprocess.run(
        [sys.executable, str(BENCH), "--engine", engine.name, "--out", str(out)]
        + list(options),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def engine_holds(engine: PrivateEngine) -> tuple[int, int]:
    """(read-only, writable) as the engine reports them, container by container."""
    with engine.client() as client:
        settings = [
            client.api.inspect_container(entry["Id"])["HostConfig"]["ReadonlyRootfs"]
            for entry in client.api.containers(all=True)
        ]
    return settings.count(True), settings.count(False)


@pytest.mark.engine
@pytest.mark.oscap
def test_small_run_of_every_tool_agrees_with_the_engine(
    engine: PrivateEngine, oscap: str, tmp_path: Path
) -> None:
    report = tmp_path / "bench.json"
    table = tmp_path / "bench.md"
    done = run_bench(
        engine,
        tmp_path / "out",
        *("--sizes", str(SIZE), "--rounds", "1", "--no-warmup"),
        *("--json", str(report), "--markdown", str(table)),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    read_only, writable = engine_holds(engine)
    assert (read_only, writable) == (SIZE // 2, SIZE // 2)
    figures = json.loads(report.read_text())
    assert figures["agree"] is True
    (size,) = figures["sizes"]
    assert size["size"] == SIZE
    assert size["problems"] == []

    tools = size["tools"]
    assert sorted(tools) == ["dockscap", "inspect", "oscap", "stig"]
    for key in ("dockscap", "inspect", "stig"):
        finding = tools[key]["finding"]
        assert (finding["result"], finding["read_only"], finding["writable"]) == (
            "fail",
            read_only,
            writable,
        ), key
    assert tools["oscap"]["finding"]["result"] == "fail"
    exit_codes = {
        key: [s["exit_code"] for s in tool["samples"]] for key, tool in tools.items()
    }
    assert exit_codes == {"dockscap": [2], "inspect": [0], "stig": [0], "oscap": [2]}

    assert size["audit"]["problems"] == []
    assert size["audit"]["methods"] == ["GET"]
    assert any("/containers/json" in target for target in size["audit"]["listings"])
    assert f"N = {SIZE} containers" in table.read_text()


@pytest.mark.engine
def test_an_engine_with_other_containers_is_refused(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    with engine.client() as client:
        client.api.create_container(engine.ensure_image(client), ["true"], name="other")

    done = run_bench(engine, tmp_path, "--sizes", "2", "--tools", "inspect")

    assert done.returncode == 2
    assert "1 container(s) the benchmark did not create (for example other)" in (
        " ".join(done.stdout.split())
    )


def test_a_tool_that_disagrees_is_reported() -> None:
    expected = Finding("fail", 2, 1)
    findings = {
        "same": Finding("fail", 2, 1),
        "counts": Finding("fail", 1, 2),
        "result": Finding("pass"),
        "trouble": Finding("fail", problems=("exit code 125",)),
    }

    assert disagreements(expected, findings) == [
        "counts: fail (1 read-only, 2 writable), "
        "expected fail (2 read-only, 1 writable)",
        "result: pass, expected fail",
        "trouble: exit code 125",
    ]


def test_the_stig_procedure_output_is_counted_line_by_line(tmp_path: Path) -> None:
    output = tmp_path / "stdout.txt"
    output.write_text(
        f"{ID}: ReadonlyRootfs=true\n{ID}: ReadonlyRootfs=false\n"
        f"{ID}: ReadonlyRootfs=<no value>\nError: No such object: abc\n"
    )

    finding = read_stig_lines(Run(123, output, tmp_path))

    assert (finding.result, finding.read_only, finding.writable) == ("fail", 1, 1)
    assert finding.problems == ("1 line(s) neither true nor false", "exit code 123")


def test_inspect_output_of_several_calls_is_read_whole(tmp_path: Path) -> None:
    output = tmp_path / "stdout.txt"
    output.write_text(
        '[{"HostConfig": {"ReadonlyRootfs": true}}]\n'
        '[{"HostConfig": {"ReadonlyRootfs": true}}, {"HostConfig": {}}]\n'
    )

    finding = read_inspect_json(Run(0, output, tmp_path))

    assert (finding.result, finding.read_only, finding.writable) == ("error", 2, 0)


def test_a_listing_that_asks_for_sizes_is_caught() -> None:
    found = audit(
        [
            ("GET", "/v1.41/version"),
            ("GET", "/v1.41/containers/json?all=1&size=1"),
            ("POST", "/v1.41/containers/abc/stop"),
        ]
    )

    assert found.problems == (
        "methods other than GET: ['GET', 'POST']",
        "the listing asks for sizes: /v1.41/containers/json?all=1&size=1",
    )


def timed(size: int, wall: float) -> SizeResult:
    """A size at which dockscap's one run took WALL seconds."""
    tool = ToolResult("dockscap", [], [Sample(wall, wall, 1024, 0)])
    return SizeResult(size, Finding("fail"), {"dockscap": tool}, load_before="")


def test_linear_growth_is_judged_from_a_thousand_containers_up() -> None:
    # 100->1000 costs 0.10 ms a container (the scan hidden by the fixed start),
    # 1000->5000 0.25 ms, 5000->10000 0.30 ms: a spread of 1.2 from 1,000 up.
    sizes = [
        timed(100, 0.30),
        timed(1000, 0.39),
        timed(5000, 1.39),
        timed(10_000, 2.89),
    ]

    target = _linear_growth(sizes)

    assert target.met is True
    assert target.figure == (
        "ms per added container 100->1000: 0.10, 1000->5000: 0.25, 5000->10000: 0.30"
    )


def test_growth_faster_than_linear_is_caught() -> None:
    # 0.25 ms a container, then 0.50: a spread of 2.
    sizes = [timed(1000, 0.40), timed(5000, 1.40), timed(10_000, 3.90)]

    assert _linear_growth(sizes).met is False


def test_linear_growth_needs_three_sizes_of_a_thousand_or_more() -> None:
    target = _linear_growth([timed(100, 0.30), timed(1000, 0.39), timed(5000, 1.39)])

    assert target.met is None
    assert target.figure.endswith("needs three sizes of 1000 or more")
