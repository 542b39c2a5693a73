"""The group's options (--quiet, --verbose, --log-file), shell completion, and
how evaluate refuses values it cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_samples import create
from private_engine import PrivateEngine

from dockscap.cli import main

DOCKSCAP = Path(sys.executable).parent / "dockscap"


@pytest.mark.engine
def test_quiet_prints_nothing_and_keeps_the_exit_code(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    report = tmp_path / "report.html"

    run = CliRunner().invoke(
        main, ["--quiet", "evaluate", "--host", engine.url, "--report", str(report)]
    )

    assert run.exit_code == 2
    assert run.output == ""
    assert report.is_file()


@pytest.mark.engine
def test_verbose_and_the_log_file_say_what_was_scanned(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    create(engine)
    log = tmp_path / "dockscap.log"

    run = CliRunner().invoke(
        main, ["-v", "--log-file", str(log), "evaluate", "--host", engine.url]
    )

    assert run.exit_code == 2, run.output
    scanned = f"{engine.url}: 6 container(s) decided, 0 vanished, rule result fail"
    assert f"DEBUG dockscap.evaluator.scan: {scanned}" in run.stderr
    lines = log.read_text().splitlines()
    assert any(line.endswith(scanned) for line in lines)
    # Each line of the file starts with its time: 2025-06-02 09:15:04,123
    assert all(line[:4].isdigit() and line[4] == "-" for line in lines)


def test_verbose_and_quiet_together_are_refused() -> None:
    run = CliRunner().invoke(main, ["-v", "-q", "evaluate"])

    assert run.exit_code == 1
    assert "--verbose and --quiet cannot be used together" in run.output


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "0.0 is not in the range 0<x<=86400.0."),
        ("-1", "-1.0 is not in the range 0<x<=86400.0."),
        ("soon", "'soon' is not a valid float range."),  # click's words
        ("nan", "nan is not a number of seconds."),
        ("inf", "inf is not in the range 0<x<=86400.0."),
        ("1e18", "1e+18 is not in the range 0<x<=86400.0."),
    ],
)
def test_a_timeout_is_a_positive_number_of_seconds(value: str, problem: str) -> None:
    run = CliRunner().invoke(main, ["evaluate", "--timeout", value])

    assert run.exit_code == 1
    assert run.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--timeout': {problem}"
    )


@pytest.mark.parametrize("option", ["--results-arf", "--results", "--report", "--ckl"])
def test_a_dash_for_a_results_file_is_refused_not_made_a_file(
    option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    run = CliRunner().invoke(main, ["evaluate", option, "-"])

    assert run.exit_code == 1
    assert "'-' (standard output) is taken only by --json" in run.output
    assert list(tmp_path.iterdir()) == []


def test_a_log_file_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "folder" / "dockscap.log"

    run = CliRunner().invoke(main, ["--log-file", str(target), "evaluate"])

    assert run.exit_code == 1
    assert run.output == (
        f"Error: cannot write the log file {target}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("dockscap eva", "evaluate"),
        ("dockscap evaluate --wai", "--waivers"),
        ("dockscap evaluate --exclude-", "--exclude-label"),
    ],
)
def test_bash_completion_completes_commands_and_options(
    words: str, expected: str
) -> None:
    # What the script from `_DOCKSCAP_COMPLETE=bash_source dockscap` asks for.
    environment = {
        **os.environ,
        "_DOCKSCAP_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }

    completed = subprocess.run(
        [str(DOCKSCAP)], env=environment, capture_output=True, text=True, timeout=60
    )

    assert f"plain,{expected}" in completed.stdout.splitlines()


def test_the_bash_completion_script_is_offered() -> None:
    environment = {**os.environ, "_DOCKSCAP_COMPLETE": "bash_source"}

    completed = subprocess.run(
        [str(DOCKSCAP)], env=environment, capture_output=True, text=True, timeout=60
    )

    assert completed.returncode == 0
    assert "complete -o nosort -F _dockscap_completion dockscap" in completed.stdout
