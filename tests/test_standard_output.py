"""Standard output that closes early, fills up or is closed from the start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from engine_samples import create
from private_engine import PrivateEngine

DOCKSCAP = str(Path(sys.executable).with_name("dockscap"))


@pytest.mark.engine
def test_a_reader_that_leaves_early_costs_neither_the_files_nor_the_exit_code(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    # The samples hold writable containers: the rule fails, exit code 2.
    create(engine)
    results = tmp_path / "results.xml"

    process = subprocess.Popen(
        [DOCKSCAP, "evaluate", "--host", engine.url, "--results", str(results)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    # Closed before dockscap prints a line, so that its first write breaks the
    # pipe whatever the size of the summary (| head -0, or a reader that died).
    process.stdout.close()
    stderr = process.stderr.read()

    assert process.wait(timeout=60) == 2
    assert stderr == b""
    assert results.is_file()


@pytest.mark.engine
def test_json_to_a_full_standard_output_is_one_error_line(
    engine: PrivateEngine,
) -> None:
    with open("/dev/full", "wb") as full:
        run = subprocess.run(
            [DOCKSCAP, "evaluate", "--host", engine.url, "--json", "-"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )

    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        "Error: cannot write the JSON results to standard output: "
        "No space left on device"
    )
    assert "Traceback" not in run.stderr


def test_json_to_a_closed_standard_output_is_refused_before_the_scan() -> None:
    # The engine is never reached: the refusal comes first.
    run = subprocess.run(
        f"{DOCKSCAP} evaluate --host unix:///nonexistent.sock --json - >&-",
        shell=True,
        stderr=subprocess.PIPE,
        text=True,
    )

    assert run.returncode == 1
    assert run.stderr == (
        "Error: --json -: standard output is closed; name a file instead\n"
    )
