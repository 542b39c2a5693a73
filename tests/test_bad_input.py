"""Input that once escaped as a traceback: one `Error:` line and exit 1 instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dockscap.cli import main

NO_ENGINE = "unix:///nonexistent/docker.sock"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"- container: web\n\xff\xfe\n", "not UTF-8 text (byte 17)"),
        (b"\x00" * 16, "not valid YAML: unacceptable character #x0000"),
    ],
)
def test_a_waivers_file_that_is_not_yaml_text(
    tmp_path: Path, data: bytes, message: str
) -> None:
    waivers = tmp_path / "waivers.yml"
    waivers.write_bytes(data)

    run = CliRunner().invoke(
        main, ["evaluate", "--host", NO_ENGINE, "--waivers", str(waivers)]
    )

    assert run.exit_code == 1
    assert run.stderr.startswith(f"Error: {waivers}: {message}")
    assert "Traceback" not in run.output


def test_a_malformed_host_url_is_refused_before_any_connection() -> None:
    run = CliRunner().invoke(main, ["evaluate", "--host", "tcp://[::1"])

    assert run.exit_code == 1
    assert run.stderr == (
        "Error: --host: 'tcp://[::1' is not an engine address; use "
        "unix:///path/docker.sock, tcp://HOST:PORT or ssh://USER@HOST\n"
    )


def test_a_mistyped_option_is_an_error_not_a_failing_host() -> None:
    run = CliRunner().invoke(main, ["evaluate", "--resuls", "out.xml"])

    assert run.exit_code == 1
    assert "No such option '--resuls'" in run.stderr
