"""How dockscap reaches an engine: a local socket directly, the rest through the SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import pytest
from private_engine import PrivateEngine

from dockscap.evaluator import engine as engine_module


def test_the_api_range_is_the_docker_sdks() -> None:
    assert engine_module.MINIMUM_API == docker.constants.MINIMUM_DOCKER_API_VERSION
    assert engine_module.NEWEST_API == docker.constants.DEFAULT_DOCKER_API_VERSION


@pytest.mark.parametrize(
    ("endpoint", "socket_path"),
    [
        ("unix:///var/run/docker.sock", "/var/run/docker.sock"),
        (
            "unix:///run/dockscap-test-oval+x.(y)/docker.sock",
            "/run/dockscap-test-oval+x.(y)/docker.sock",
        ),
        ("unix://relative.sock", "relative.sock"),
        ("unix://", None),
        ("tcp://127.0.0.1:2375", None),
        ("ssh://admin@docker01", None),
    ],
)
def test_which_endpoints_are_local_sockets(
    endpoint: str, socket_path: str | None
) -> None:
    assert engine_module._unix_socket(endpoint) == socket_path


@pytest.mark.parametrize(
    ("version", "than", "older"),
    [
        ("1.24", "1.24", False),
        ("1.9", "1.24", True),
        ("1.41", "1.45", True),
        ("1.46", "1.45", False),
    ],
)
def test_api_versions_compare_as_numbers(version: str, than: str, older: bool) -> None:
    assert engine_module._older(version, than) is older


@pytest.mark.engine
def test_a_local_socket_is_scanned_without_loading_the_sdk(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    # Importing the SDK and its HTTP stack costs a scan about 0.1 s of CPU.
    results, arf = tmp_path / "xccdf.xml", tmp_path / "arf.xml"
    program = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from dockscap.cli import main\n"
        f"run = CliRunner().invoke(main, ['evaluate', '--host', {engine.url!r},"
        f" '--results', {str(results)!r}, '--results-arf', {str(arf)!r}])\n"
        "print(run.exit_code, [name for name in ('docker', 'requests', 'urllib3')"
        " if name in sys.modules])\n"
    )

    answer = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )

    assert answer.stdout.split("\n")[0] == "0 []", answer.stderr
    assert results.is_file() and arf.is_file()
