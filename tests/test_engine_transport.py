"""How dockscap reaches an engine: a local socket directly, the rest through the SDK."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
from click.testing import CliRunner
from evaluate_support import Spec, make_containers
from fault_proxy import fault_proxy
from private_engine import PrivateEngine

from dockscap.cli import main
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


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A unix socket's path must fit in 108 bytes; pytest's tmp_path may not.
    folder = Path(tempfile.mkdtemp(prefix="dst-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.engine
def test_requests_share_a_keep_alive_connection_per_thread(
    engine: PrivateEngine, short_dir: Path
) -> None:
    make_containers(
        engine, [Spec(f"kept-{n}", n % 2 == 0, "created") for n in range(12)]
    )

    with fault_proxy(short_dir / "proxy.sock", engine.socket) as proxy:
        run = CliRunner().invoke(main, ["-q", "evaluate", "--host", proxy.url])
        requests, connections = len(proxy.requests), proxy.connections

    assert run.exit_code == 2, run.output
    # /version, /info, the listing and 12 inspects: at most one connection each
    # for the main thread, the host's facts and the inspect workers.
    assert requests == 15
    assert connections <= 2 + engine_module.DEFAULT_WORKERS


@contextmanager
def canned_engine(path: Path, answer: bytes) -> Iterator[str]:
    """A socket that reads each request and answers ANSWER, then hangs up: the
    broken answers a real engine cannot be made to give."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            with connection:
                connection.recv(65536)
                connection.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"unix://{path}"
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"", "the connection was lost: the engine closed the connection before "
              "it answered"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "the answer is not HTTP"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", "the connection was "
         "lost: the engine closed the connection before it answered"),
    ],
    ids=["closed at once", "not HTTP", "cut short"],
)  # fmt: skip
def test_a_broken_answer_is_one_error_line(
    short_dir: Path, answer: bytes, said: str
) -> None:
    with canned_engine(short_dir / "canned.sock", answer) as url:
        run = CliRunner().invoke(main, ["evaluate", "--host", url])

    assert run.exit_code == 1
    assert run.output.startswith(f"Error: {url}: {said}"), run.output
    assert len(run.output.strip().splitlines()) == 1


@pytest.mark.engine
def test_a_failed_inspect_stops_the_other_workers(
    engine: PrivateEngine, short_dir: Path
) -> None:
    count = 40
    make_containers(engine, [Spec(f"many-{n}", True, "created") for n in range(count)])
    inspect = re.compile(r"/containers/[0-9a-f]{64}/json$")
    seen: list[str] = []

    def first_inspect_is_cut_short(
        method: str, path: str, status: int, body: bytes
    ) -> tuple[int, bytes]:
        # Canned: a real engine cannot be made to cut an answer short.
        if not inspect.search(path):
            return status, body
        seen.append(path)
        return (status, body[:10]) if len(seen) == 1 else (status, body)

    def slowly(method: str, path: str) -> None:
        if inspect.search(path):
            time.sleep(0.05)  # the other workers are mid-request, not done

    with fault_proxy(
        short_dir / "proxy.sock",
        engine.socket,
        rewrite=first_inspect_is_cut_short,
        before=slowly,
    ) as proxy:
        run = CliRunner().invoke(main, ["evaluate", "--host", proxy.url])
        inspected = [path for path in proxy.paths() if inspect.search(path)]

    assert run.exit_code == 1
    assert "the engine's answer is not JSON" in run.output
    # The failed worker's request and at most one more from each of the others.
    assert len(inspected) <= 1 + 2 * (engine_module.DEFAULT_WORKERS - 1)
