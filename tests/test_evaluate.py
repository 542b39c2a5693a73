"""`dockscap evaluate` on a real engine: verdicts, summary, exit codes, errors."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import require, require_tool
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
from recording_proxy import recording_proxy
from rich.console import Console

from dockscap.cli import main
from dockscap.errors import EngineError
from dockscap.evaluator import command
from dockscap.evaluator.engine import ListedContainer, connect
from dockscap.evaluator.results import Verdict
from dockscap.evaluator.scan import scan
from dockscap.evaluator.summary import print_summary
from dockscap.generator.content import load_benchmark
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
    empty = "Containers checked: 0. No containers were found on this engine"
    assert empty in run.output
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


def test_the_engine_sees_only_get_requests(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    ids = make_containers(engine, MIXED[3:6])  # paused, running and exited

    with recording_proxy(tmp_path / "proxy.sock", engine.socket) as proxy:
        run = evaluate("--host", proxy.url, "--results", str(tmp_path / "r.xml"))

    assert run.exit_code == 2, run.output
    assert {method for method, _ in proxy.requests} == {"GET"}
    paths = [path for _, path in proxy.requests]
    assert "/version" in paths
    assert [path for path in paths if path.endswith("/info")]
    (listing,) = [path for path in paths if "/containers/json" in path]
    assert "all=1" in listing
    assert "size" not in listing
    inspect = re.compile(r"^/v[0-9.]+/containers/([0-9a-f]{64})/json$")
    inspected = [match[1] for path in paths if (match := inspect.match(path))]
    assert sorted(inspected) == sorted(ids.values())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ssh_engine(
    engine: PrivateEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """ssh://root@127.0.0.1:PORT, a real sshd whose sessions dial the private engine.

    The sshd forces `docker system dial-stdio` onto the private engine's socket.
    The user's ssh configuration is left alone: an `ssh` early on PATH runs the
    real client with a configuration of its own (key, no host key prompt).
    """
    sshd = require_tool("sshd", "openssh-server")
    ssh = require_tool("ssh", "openssh-client")
    keygen = require_tool("ssh-keygen", "openssh-client")
    docker_cli = require_tool("docker", "docker.io")
    for key in ("host", "client"):
        subprocess.run(
            [keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / key)],
            check=True,
        )
    shutil.copy(tmp_path / "client.pub", tmp_path / "authorized_keys")
    port = _free_port()
    (tmp_path / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path}/host\n"
        f"AuthorizedKeysFile {tmp_path}/authorized_keys\nStrictModes no\n"
        "PasswordAuthentication no\nUsePAM no\n"
        f"PidFile {tmp_path}/sshd.pid\n"
        f"ForceCommand {docker_cli} -H {engine.url} system dial-stdio\n"
    )
    (tmp_path / "ssh_config").write_text(
        f"Host *\n  IdentityFile {tmp_path}/client\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n"
    )
    wrapper = tmp_path / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {ssh} -F {tmp_path}/ssh_config "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")

    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    server = subprocess.Popen(
        [sshd, "-D", "-f", str(tmp_path / "sshd_config"), "-E", str(tmp_path / "log")]
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"ssh://root@127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_engine_over_ssh_is_checked_like_a_local_one(
    engine: PrivateEngine, ssh_engine: str, tmp_path: Path
) -> None:
    make_containers(engine, MIXED[3:6])

    run = evaluate("--host", ssh_engine, "--results", str(tmp_path / "r.xml"))

    assert run.exit_code == 2, run.output
    assert f"Engine: {ssh_engine}" in run.output
    assert sorted(section(run.output, "Writable root filesystem")) == [
        "rw-exited",
        "rw-running",
    ]


def test_an_ssh_failure_says_what_ssh_said(ssh_engine: str) -> None:
    closed = f"ssh://root@127.0.0.1:{_free_port()}"

    run = CliRunner().invoke(main, ["evaluate", "--host", closed])

    assert run.exit_code == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"Error: {closed}: the ssh connection failed: ssh: connect")
    assert "Connection refused" in line


# A CA, a server certificate for 127.0.0.1 and a client certificate, named as
# DOCKER_CERT_PATH holds them (ca.pem, cert.pem, key.pem).
OPENSSL_STEPS = (
    "req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca-key.pem -out ca.pem "
    "-subj /CN=test-CA",
    "req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr "
    "-subj /CN=127.0.0.1",
    "x509 -req -days 2 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
    "-out server-cert.pem -extfile server.ext",
    "req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client",
    "x509 -req -days 2 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
    "-out cert.pem -extfile client.ext",
)


def _certificates(openssl: str, folder: Path) -> None:
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for step in OPENSSL_STEPS:
        subprocess.run(
            [openssl, *step.split()], cwd=folder, check=True, capture_output=True
        )


@pytest.fixture(scope="module")
def tls_engine(
    private_engine: PrivateEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A second private dockerd that only speaks TLS with client certificates.

    Yields its tcp:// URL and the DOCKER_CERT_PATH folder for it.
    """
    openssl = require_tool("openssl", "openssl")
    tmp_path = tmp_path_factory.mktemp("tls")
    certs = tmp_path / "certs"
    certs.mkdir()
    _certificates(openssl, certs)
    port = _free_port()
    tls = PrivateEngine(f"{private_engine.name}-tls")
    tls.run_dir.mkdir(parents=True, exist_ok=True)
    command = [
        "dockerd",
        "--host",
        f"tcp://127.0.0.1:{port}",
        "--tlsverify",
        "--tlscacert",
        str(certs / "ca.pem"),
        "--tlscert",
        str(certs / "server-cert.pem"),
        "--tlskey",
        str(certs / "server-key.pem"),
        *tls.command()[3:],  # exec root, data root, pidfile, no networking
    ]
    with (tmp_path / "dockerd.log").open("wb") as log:
        daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and daemon.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"tcp://127.0.0.1:{port}", certs
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def test_a_tls_engine_is_checked_with_the_cli_s_certificates(
    tls_engine: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, certs = tls_engine
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(certs))
    # requests alone would let this replace the engine's CA; the CLI does not.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    run = evaluate("--host", url, "--results", str(tmp_path / "r.xml"))

    assert run.exit_code == 0, run.output
    assert f"Engine: {url}" in run.output
    empty = "Containers checked: 0. No containers were found on this engine"
    assert empty in run.output


def test_tls_errors_say_so(
    tls_engine: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, certs = tls_engine
    other = tmp_path / "other"
    other.mkdir()
    _certificates(require_tool("openssl", "openssl"), other)
    for name in ("cert.pem", "key.pem"):
        shutil.copy(certs / name, other / name)  # right client, wrong CA

    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(other))
    wrong_ca = CliRunner().invoke(main, ["evaluate", "--host", url])
    monkeypatch.delenv("DOCKER_TLS_VERIFY")
    monkeypatch.delenv("DOCKER_CERT_PATH")
    plain = CliRunner().invoke(main, ["evaluate", "--host", url])

    assert wrong_ca.exit_code == 1
    assert "TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED]" in wrong_ca.stderr
    assert plain.exit_code == 1
    assert "HTTPS server" in plain.stderr
    assert "the engine wants TLS" in plain.stderr


def test_the_summary_shows_engine_text_as_text_and_names_the_vanished() -> None:
    scan_ = hand_scan(
        "V2R2",
        {
            "[red]not markup[/red]": {"HostConfig": {"ReadonlyRootfs": False}},
            "clear\x1b[2Jscreen": {"HostConfig": {"ReadonlyRootfs": None}},
        },
    )
    scan_ = dataclasses.replace(scan_, vanished=("gone-1",))
    out = io.StringIO()

    print_summary(scan_, Console(file=out, width=120, force_terminal=False))

    text = out.getvalue()
    assert "[red]not markup[/red]" in text
    assert "\x1b" not in text
    assert "clear\\x1b[2Jscreen" in text
    assert "HostConfig.ReadonlyRootfs is null" in text
    assert "Removed during the scan, not counted (1): gone-1" in text
    assert text.rstrip().endswith(
        "Result: FAIL (1 container(s) with a writable root filesystem)"
    )


NOBODY = 65534


def test_a_socket_the_user_may_not_open_says_permission_denied(
    engine: PrivateEngine,
) -> None:
    require(os.geteuid() == 0, "dropping to another user needs root")

    os.seteuid(NOBODY)  # the real uid stays root, so it can be taken back
    try:
        with pytest.raises(EngineError) as caught:
            connect(engine.url)
    finally:
        os.seteuid(0)

    assert str(caught.value).startswith(
        f"{engine.url}: permission denied on the socket {engine.socket}"
    )
    assert "member of the docker group" in str(caught.value)
