"""Engine faults: one `Error:` line, exit 1, and no results file written or touched.

Each row of FAULTS brings a fault about and gives the exact line dockscap must
print. Real parts wherever a real engine can show the fault: a missing or
refusing socket, a socket this user may not open, a TLS engine with another CA,
an sshd that refuses, a private engine killed, stopped or restarted mid-scan.
Where no real engine can be made to answer so (an old API version, a 500, a
body that is not JSON), the fault proxy (tests/fault_proxy.py) passes requests
to the real engine and replaces that one answer with a canned one; those rows
say "canned".

Every row is run with an earlier results file at one path and two new paths:
after the fault the earlier file is byte for byte as it was, the new ones do
not exist, and the folder holds nothing else (no temporary file left behind).
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner, Result
from conftest import require
from engine_samples import WAIVERS_YAML
from evaluate_support import MIXED, Spec, make_containers
from fault_proxy import fault_proxy
from lxml import etree
from private_engine import IMAGE, PrivateEngine
from recording_proxy import recording_proxy
from test_evaluate import NOBODY, _free_port, ssh_engine, tls_engine  # noqa: F401

from dockscap.cli import main
from dockscap.generator.content import DEFAULT_CONTENT

pytestmark = pytest.mark.engine

MID_SCAN = "it stopped or restarted during the scan; run the scan again"
NOT_RUNNING = "is the Docker engine running? Name another with --host or DOCKER_HOST"
TIMED_OUT = (
    "is the engine up and reachable there, and is it a Docker engine? A busy one "
    "may need a longer --timeout"
)
NOT_ENGINE = "is this a Docker engine? A proxy in between must pass its answers on"
TLS = (
    "check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY, "
    "and that the engine listens with TLS on that port"
)
SSH = (
    "check that `ssh -p {port} root@127.0.0.1 docker system dial-stdio` runs "
    "without a prompt"
)
DOCKSCAP = str(Path(sys.executable).with_name("dockscap"))
FORBIDDEN_PAGE = (
    b"<html><body><h1>403 Forbidden</h1>\n"
    b"Request forbidden by administrative rules.\n</body></html>\n"
)
EARLIER = b"<earlier results, not to be touched/>\n"
# Enough containers that the scan has work left when the engine goes away.
VICTIM_CONTAINERS = 60
# dockerd waits on its containerd, which starts slowly on a busy machine.
START_WAIT = 90.0


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: unix socket paths are limited to 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="dsf-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def victim(private_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    """A second private engine of many containers, for the tests that end it."""
    engine = PrivateEngine(f"{private_engine.name or 'ci'}-victim")
    bring_up(engine)
    with engine.client() as client:
        engine.ensure_image(client)
        engine.remove_all_containers(client)  # left by an interrupted run
        for number in range(VICTIM_CONTAINERS):
            client.containers.create(
                IMAGE, ["true"], name=f"victim-{number:03d}", read_only=number % 2 == 0
            )
    yield engine
    bring_up(engine)
    with engine.client() as client:
        engine.remove_all_containers(client)
    engine.stop()


@dataclass
class Site:
    """What a row may use to bring its fault about."""

    request: pytest.FixtureRequest
    folder: Path  # short, for sockets
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    def fixture(self, name: str) -> object:
        return self.request.getfixturevalue(name)


@dataclass(frozen=True)
class Fault:
    """How to bring a fault about, and the line dockscap must print for it.

    ARRANGE yields the --host URL (and undoes the fault afterwards). LINE is
    the whole stderr, with {url} and {socket} filled in; where the OS or
    OpenSSL words part of it, that part is a regular expression (PATTERN).
    """

    arrange: Callable[[Site], AbstractContextManager[str]]
    line: str
    pattern: bool = False
    # The mid-scan rows end the engine when the debug log says it listed.
    debug_log: bool = False
    # More options for evaluate.
    options: tuple[str, ...] = ()


@contextmanager
def missing_socket(site: Site) -> Iterator[str]:
    yield f"unix://{site.folder}/docker.sock"


@contextmanager
def refusing_socket(site: Site) -> Iterator[str]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(str(site.folder / "docker.sock"))  # bound, never listening
        yield f"unix://{site.folder}/docker.sock"


@contextmanager
def regular_file(site: Site) -> Iterator[str]:
    (site.folder / "docker.sock").write_text("not a socket\n")
    yield f"unix://{site.folder}/docker.sock"


@contextmanager
def path_through_a_file(site: Site) -> Iterator[str]:
    (site.folder / "run").write_text("a file where a folder should be\n")
    yield f"unix://{site.folder}/run/docker.sock"


@contextmanager
def unknown_host(site: Site) -> Iterator[str]:
    yield "tcp://dockscap-test.invalid:2376"


@contextmanager
def silent_socket(site: Site) -> Iterator[str]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(site.folder / "docker.sock"))
        listening.listen()  # the connection is taken, never answered
        yield f"unix://{site.folder}/docker.sock"


@contextmanager
def silent_tcp_port(site: Site) -> Iterator[str]:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield f"tcp://127.0.0.1:{listening.getsockname()[1]}"


@contextmanager
def silent_ssh_port(site: Site) -> Iterator[str]:
    with silent_tcp_port(site) as url:  # ssh waits for a banner that never comes
        yield url.replace("tcp://", "ssh://root@")


@contextmanager
def closed_tcp_port(site: Site) -> Iterator[str]:
    yield f"tcp://127.0.0.1:{_free_port()}"


class _QuietFileServer(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Not into the test's output."""


class _FailingServer(_QuietFileServer):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        # A terminal's clear-screen sequence in the page must not reach stderr.
        self.send_error(500, "Boom \x1b[2J")


@contextmanager
def serving(
    handler: Callable[..., http.server.BaseHTTPRequestHandler],
) -> Iterator[str]:
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"tcp://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


@contextmanager
def another_http_server(site: Site) -> Iterator[str]:
    """Python's own file server, no engine: /version gets its HTML 404 page."""
    served = site.tmp_path / "served"
    served.mkdir()
    with serving(partial(_QuietFileServer, directory=str(served))) as url:
        yield url


@contextmanager
def failing_http_server(site: Site) -> Iterator[str]:
    """A server, no engine, whose every answer is an HTML 500 page."""
    with serving(partial(_FailingServer, directory=str(site.tmp_path))) as url:
        yield url


@contextmanager
def socket_of_root_only(site: Site) -> Iterator[str]:
    """The real engine's socket (root only), opened as user nobody."""
    require(os.geteuid() == 0, "dropping to another user needs root")
    engine = site.fixture("engine")
    assert isinstance(engine, PrivateEngine)
    os.seteuid(NOBODY)  # the real uid stays root, so it can be taken back
    try:
        yield engine.url
    finally:
        os.seteuid(0)


@contextmanager
def tls_with_another_ca(site: Site) -> Iterator[str]:
    """A real TLS engine; the client's CA is one that did not sign its certificate."""
    url, certs = site.fixture("tls_engine")  # type: ignore[misc]
    other = site.tmp_path / "other-ca"
    shutil.copytree(certs, other)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", "/dev/null", "-out", str(other / "ca.pem"), "-subj", "/CN=x"],
        check=True,
        capture_output=True,
    )
    site.monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    site.monkeypatch.setenv("DOCKER_CERT_PATH", str(other))
    yield url


@contextmanager
def tls_engine_asked_in_plain_http(site: Site) -> Iterator[str]:
    url, _ = site.fixture("tls_engine")  # type: ignore[misc]
    site.monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    site.monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    yield url


@contextmanager
def ssh_port_closed(site: Site) -> Iterator[str]:
    site.fixture("ssh_engine")  # its ssh wrapper: no prompt, no known_hosts
    yield f"ssh://root@127.0.0.1:{_free_port()}"


@contextmanager
def ssh_key_refused(site: Site) -> Iterator[str]:
    """A real sshd that no longer accepts the client's key."""
    url = site.fixture("ssh_engine")
    assert isinstance(url, str)
    (site.tmp_path / "authorized_keys").write_text("")
    yield url


def _canned(
    rewrite: Callable[[str, int, bytes], tuple[int, bytes]],
) -> Callable[[Site], AbstractContextManager[str]]:
    """A row whose one answer is canned by the fault proxy in front of the engine."""

    @contextmanager
    def arrange(site: Site) -> Iterator[str]:
        engine = site.fixture("engine")
        assert isinstance(engine, PrivateEngine)
        make_containers_once(engine)
        with fault_proxy(
            site.folder / "proxy.sock",
            engine.socket,
            rewrite=lambda method, path, status, body: rewrite(path, status, body),
        ) as proxy:
            yield proxy.url

    return arrange


def make_containers_once(engine: PrivateEngine) -> None:
    make_containers(engine, MIXED[:2])


def old_api(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """Canned: an engine of Docker 1.12's time (Engine API 1.12)."""
    if path != "/version":
        return status, body
    version = json.loads(body)
    version.update(ApiVersion="1.12", MinAPIVersion="1.12", Version="1.0.1")
    return status, json.dumps(version).encode()


def listing_fails(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """Canned: the engine answers the listing with a server error."""
    if "/containers/json" in path:
        return 500, b'{"message":"canned: the engine could not list"}'
    return status, body


def info_forbidden(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """Canned: a socket proxy that does not allow /info answers with its page."""
    if path.endswith("/info"):
        return 403, FORBIDDEN_PAGE
    return status, body


def inspect_not_json(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """Canned: an inspect answer cut short."""
    if re.search(r"/containers/[0-9a-f]{64}/json$", path):
        return status, body[: len(body) // 2]
    return status, body


@contextmanager
def _victim_ends(site: Site, how: str) -> Iterator[str]:
    """The victim engine ends right after it listed its containers.

    The engine is really ended (SIGKILL, or SIGTERM as `systemctl stop` sends;
    "restart" starts it again at once), at the moment dockscap's debug log says
    the listing is in: a hook on the log, not on dockscap's code.
    """
    engine = site.fixture("victim")
    assert isinstance(engine, PrivateEngine)
    bring_up(engine)
    restarting: list[threading.Thread] = []

    class EndTheEngine(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "listed" not in str(record.msg):
                return
            end_engine(engine, signal.SIGKILL if how == "kill" else signal.SIGTERM)
            if how == "restart":
                restarting.append(threading.Thread(target=bring_up, args=(engine,)))
                restarting[0].start()

    hook = EndTheEngine(logging.DEBUG)
    logger = logging.getLogger("dockscap.evaluator.engine")
    logger.addHandler(hook)
    try:
        yield engine.url
    finally:
        logger.removeHandler(hook)
        for thread in restarting:
            thread.join(timeout=120)
        bring_up(engine)


def bring_up(engine: PrivateEngine) -> None:
    """Start the engine; once more if its first dockerd gave up on containerd.

    After a kill, a dockerd on a loaded machine sometimes times out waiting for
    its containerd and keeps retrying without ever answering.
    """
    try:
        engine.start(wait=START_WAIT)
    except RuntimeError:
        engine.stop()
        engine.start(wait=START_WAIT)


def end_engine(engine: PrivateEngine, how: signal.Signals) -> None:
    """Send HOW to the engine's dockerd and wait until it is gone (reaped if ours)."""
    pid = int(engine.pidfile.read_text())
    os.kill(pid, how)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            ended, _ = os.waitpid(pid, os.WNOHANG)
            if ended == pid:
                return
        except ChildProcessError:  # started by another process: no zombie to reap
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.02)
    raise AssertionError(f"dockerd {pid} did not end")


@contextmanager
def killed_mid_scan(site: Site) -> Iterator[str]:
    with _victim_ends(site, "kill") as url:
        yield url


@contextmanager
def stopped_mid_scan(site: Site) -> Iterator[str]:
    with _victim_ends(site, "stop") as url:
        yield url


@contextmanager
def restarted_mid_scan(site: Site) -> Iterator[str]:
    with _victim_ends(site, "restart") as url:
        yield url


FAULTS = {
    "socket missing": Fault(
        missing_socket, f"{{url}}: no socket at {{socket}} ({NOT_RUNNING})"
    ),
    "socket refusing": Fault(
        refusing_socket, f"{{url}}: connection refused ({NOT_RUNNING})"
    ),
    "a file, not a socket": Fault(
        regular_file, f"{{url}}: {{socket}} is not a socket ({NOT_RUNNING})"
    ),
    "host name unknown": Fault(
        unknown_host,
        # RFC 6761: no name under .invalid resolves. How the resolver words it
        # depends on the machine's network.
        re.escape("{url}: the host name cannot be resolved (")
        + r"[A-Za-z ]+"
        + re.escape(") (check the host name, or name the engine by its IP address)"),
        pattern=True,
    ),
    "a path through a file": Fault(
        path_through_a_file,
        "{url}: no socket at {socket}: a part of the path is a file "
        f"({NOT_RUNNING})",
    ),
    "tcp port closed": Fault(
        closed_tcp_port, f"{{url}}: connection refused ({NOT_RUNNING})"
    ),
    "not an engine: a file server's 404 page": Fault(
        another_http_server,
        # The page's heading and paragraphs on one line, not its title.
        re.escape("{url}: GET /version answered 404: Error response Error code: ")
        + r"404 Message: File not found\.[^<>]* "
        + re.escape(f"({NOT_ENGINE})"),
        pattern=True,
    ),
    "socket never answering, --timeout 1": Fault(
        silent_socket,
        f"{{url}}: the engine did not answer in time ({TIMED_OUT})",
        options=("--timeout", "1"),
    ),
    "tcp port never answering, --timeout 1": Fault(
        silent_tcp_port,
        f"{{url}}: the engine did not answer in time ({TIMED_OUT})",
        options=("--timeout", "1"),
    ),
    "not an engine: a server's 500 page with an escape sequence": Fault(
        failing_http_server,
        "{url}: GET /version answered 500: Error response Error code: 500 "
        "Message: Boom [2J. Error code explanation: 500 - Server got itself in "
        f"trouble. ({NOT_ENGINE})",
    ),
    "ssh to a port that never answers, --timeout 1": Fault(
        silent_ssh_port,
        f"{{url}}: the engine did not answer in time ({SSH})",
        options=("--timeout", "1"),
    ),
    "permission denied": Fault(
        socket_of_root_only,
        "{url}: permission denied on the socket {socket} (run as root or as a "
        "member of the docker group, or scan through a read-only socket proxy)",
    ),
    "tls: another CA": Fault(
        tls_with_another_ca,
        re.escape("{url}: TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate ")
        + r"verify failed: [a-z ]+ \(_ssl\.c:\d+\) "
        + re.escape(f"({TLS})"),
        pattern=True,
    ),
    "tls: plain http": Fault(
        tls_engine_asked_in_plain_http,
        "{url}: GET /version answered 400: Client sent an HTTP request to an "
        f"HTTPS server. (the engine wants TLS: {TLS})",
    ),
    "ssh: port closed": Fault(
        ssh_port_closed,
        "{url}: the ssh connection failed: ssh: connect to host 127.0.0.1 port "
        "{port}: Connection refused " + f"({SSH})",
    ),
    "ssh: key refused": Fault(
        ssh_key_refused,
        "{url}: the ssh connection failed: root@127.0.0.1: Permission denied "
        f"(publickey,keyboard-interactive). ({SSH})",
    ),
    "api too old (canned /version)": Fault(
        _canned(old_api),
        "{url}: the engine speaks Engine API 1.12, older than 1.24 (upgrade the "
        "engine; dockscap reads Engine API 1.24 or newer)",
    ),
    "listing answered 500 (canned)": Fault(
        _canned(listing_fails),
        "{url}: GET /v1.41/containers/json answered 500: canned: the engine could "
        "not list (see the engine's log, and run the scan again)",
    ),
    "inspect not JSON (canned)": Fault(
        _canned(inspect_not_json),
        f"{{url}}: the engine's answer is not JSON ({NOT_ENGINE})",
    ),
    "a socket proxy forbids /info (canned)": Fault(
        _canned(info_forbidden),
        "{url}: GET /v1.41/info answered 403: 403 Forbidden Request forbidden by "
        "administrative rules. (a socket proxy in between must allow GET on "
        "/version, /info, /containers/json and /containers/{{id}}/json)",
    ),
    "engine killed mid-scan": Fault(
        killed_mid_scan,
        f"{{url}}: the engine stopped answering: connection refused ({MID_SCAN})",
        debug_log=True,
    ),
    "engine stopped mid-scan": Fault(
        stopped_mid_scan,
        f"{{url}}: the engine stopped answering: no socket at {{socket}} ({MID_SCAN})",
        debug_log=True,
    ),
    "engine restarted mid-scan": Fault(
        restarted_mid_scan,
        f"{{url}}: the engine stopped answering: no socket at {{socket}} ({MID_SCAN})",
        debug_log=True,
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_an_engine_fault_is_one_error_line_and_no_file(
    name: str,
    request: pytest.FixtureRequest,
    short_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fault = FAULTS[name]
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "earlier-xccdf.xml"
    earlier.write_bytes(EARLIER)
    site = Site(request, short_dir, tmp_path, monkeypatch)

    log = ["--log-file", str(tmp_path / "dockscap.log")] if fault.debug_log else []

    with fault.arrange(site) as url:
        run = _evaluate(
            *log,
            "evaluate",
            "--host",
            url,
            "--results",
            str(earlier),
            "--results-arf",
            str(out / "new-arf.xml"),
            "--ckl",
            str(out / "new.ckl"),
            "--json",
            str(out / "new.json"),
            *fault.options,
        )

    expected = _expected(fault, url)
    assert run.exit_code == 1, run.output
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith("Error: ")
    if fault.pattern:
        assert re.fullmatch(expected, line[len("Error: ") :]), line
    else:
        assert line == f"Error: {expected}"
    assert "Traceback" not in run.stderr
    assert earlier.read_bytes() == EARLIER
    assert sorted(path.name for path in out.iterdir()) == ["earlier-xccdf.xml"]


def _expected(fault: Fault, url: str) -> str:
    socket_path = url.removeprefix("unix://")
    port = url.rsplit(":", 1)[-1]
    if fault.pattern:
        return fault.line.replace(re.escape("{url}"), re.escape(url))
    return fault.line.format(url=url, socket=socket_path, port=port)


def _evaluate(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments))


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/none.sock"

    run = subprocess.run(
        [DOCKSCAP, "--debug", "evaluate", "--host", url],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 1
    assert "Traceback (most recent call last)" in run.stderr
    assert f"dockscap.errors.EngineError: {url}: no socket at" in run.stderr


# -- Containers that go away, and answers that say too little -------------------

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"


def _check_import(xccdf: Path, name: str) -> str:
    tree = etree.parse(xccdf)
    for element in tree.iter(f"{XCCDF}check-import"):
        if element.get("import-name") == name:
            return element.text or ""
    return ""


def _ckl_vuln(ckl: Path) -> tuple[str, str]:
    """STATUS and FINDING_DETAILS of DKER-EE-002030 in a CKL."""
    for vuln in etree.parse(ckl).iter("VULN"):
        attributes = {
            data.findtext("VULN_ATTRIBUTE"): data.findtext("ATTRIBUTE_DATA")
            for data in vuln.iterfind("STIG_DATA")
        }
        if attributes.get("Rule_Ver") == "DKER-EE-002030":
            return vuln.findtext("STATUS") or "", vuln.findtext("FINDING_DETAILS") or ""
    raise AssertionError(f"{ckl} has no DKER-EE-002030")


def test_containers_removed_after_the_listing_are_named_not_counted(
    engine: PrivateEngine, short_dir: Path, tmp_path: Path, reference: Path
) -> None:
    kept = [spec for spec in MIXED if spec.name in ("ro-running", "rw-exited")]
    kept += [Spec("ro-kept", True, "created"), Spec("rw-kept", False, "created")]
    doomed = [Spec("gone-ro", True, "created"), Spec("gone-rw", False, "exited")]
    ids = make_containers(engine, [*kept, *doomed])
    removed: list[str] = []

    def remove_after_listing(method: str, path: str, status: int, body: bytes) -> None:
        # Really removed, through the engine, once its listing is on the way.
        if "/containers/json" not in path or removed:
            return
        with engine.client() as client:
            for spec in doomed:
                client.containers.get(ids[spec.name]).remove(force=True)
                removed.append(spec.name)

    files = {name: tmp_path / name for name in ("r.xml", "r.ckl", "r.json")}
    with fault_proxy(
        short_dir / "proxy.sock", engine.socket, after=remove_after_listing
    ) as proxy:
        run = _evaluate(
            "evaluate",
            "--host",
            proxy.url,
            "--results",
            str(files["r.xml"]),
            "--ckl",
            str(files["r.ckl"]),
            "--json",
            str(files["r.json"]),
        )

    gone = {spec.name for spec in doomed}
    with engine.client() as client:
        assert {c.name for c in client.containers.list(all=True)} == {
            spec.name for spec in kept
        }
    assert run.exit_code == 2, run.output  # rw-exited and rw-kept still fail
    summary = next(
        line for line in run.stdout.splitlines() if line.startswith("Removed during")
    )
    assert summary.startswith("Removed during the scan, not counted (2): ")
    assert set(summary.split(": ", 1)[1].split(", ")) == gone
    assert f"Containers checked: {len(kept)}" in run.stdout

    assert set(_check_import(files["r.xml"], "vanished_containers").split("\n")) == gone
    assert _check_import(files["r.xml"], "containers_checked") == str(len(kept))
    message = etree.parse(files["r.xml"]).findtext(f".//{XCCDF}message") or ""
    assert "2 container(s) were removed during the scan and are not counted" in message

    status, details = _ckl_vuln(files["r.ckl"])
    assert status == "Open"
    (line,) = [x for x in details.splitlines() if x.startswith("Removed between")]
    named = line.removeprefix(
        "Removed between listing and inspection, so not counted: "
    )
    assert set(named.rstrip(".").split(", ")) == gone
    _assert_valid_ckl(files["r.ckl"], reference)

    host = json.loads(files["r.json"].read_text())["hosts"][0]
    assert set(host["vanished"]) == gone
    assert host["counts"]["vanished"] == 2
    assert host["counts"]["checked"] == len(kept)
    assert {c["name"] for c in host["containers"]} == {spec.name for spec in kept}


# Canned: each container's real inspect answer (ReadonlyRootfs true) is changed
# by the proxy in the way no real engine answers; the reason is what the results
# must say for it.
ODD_ANSWERS = {
    "odd-missing": (lambda hc: hc.pop("ReadonlyRootfs"), "is missing from"),
    "odd-null": (lambda hc: hc.update(ReadonlyRootfs=None), "is null"),
    "odd-string": (lambda hc: hc.update(ReadonlyRootfs="true"), "is 'true', not a"),
    "odd-number": (lambda hc: hc.update(ReadonlyRootfs=1), "is 1, not a boolean"),
    "odd-no-hostconfig": (None, "the engine reported no HostConfig"),
}


def _odd_inspect(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    if status != 200 or not re.search(r"/containers/[0-9a-f]{64}/json$", path):
        return status, body
    document = json.loads(body)
    name = document["Name"].lstrip("/")
    if name not in ODD_ANSWERS:
        return status, body
    change, _ = ODD_ANSWERS[name]
    if change is None:
        del document["HostConfig"]
    else:
        change(document["HostConfig"])
    return status, json.dumps(document).encode()


def test_odd_inspect_answers_are_errors_never_passes(
    engine: PrivateEngine, short_dir: Path, tmp_path: Path, reference: Path
) -> None:
    make_containers(
        engine,
        [Spec("ro-plain", True, "running")]
        + [Spec(name, True, "created") for name in ODD_ANSWERS],
    )
    xccdf, ckl = tmp_path / "r.xml", tmp_path / "r.ckl"

    with fault_proxy(
        short_dir / "proxy.sock",
        engine.socket,
        rewrite=lambda method, path, status, body: _odd_inspect(path, status, body),
    ) as proxy:
        run = _evaluate(
            "evaluate", "--host", proxy.url, "--results", str(xccdf), "--ckl", str(ckl)
        )

    assert run.exit_code == 1, run.output
    assert "Result: ERROR" in run.stdout
    assert f"Containers checked: {1 + len(ODD_ANSWERS)} (1 read-only" in run.stdout
    result = etree.parse(xccdf).findtext(f".//{XCCDF}rule-result/{XCCDF}result")
    assert result == "error"
    undecided = _check_import(xccdf, "undetermined_containers").splitlines()
    status, details = _ckl_vuln(ckl)
    assert status == "Not_Reviewed"
    for name, (_, reason) in ODD_ANSWERS.items():
        (line,) = [line for line in undecided if line.startswith(f"{name} (")]
        assert reason in line.split("): ", 1)[1]
        assert any(
            row.startswith(f"- {name} (") and reason in row
            for row in details.splitlines()
        ), name
        row = next(x for x in run.stdout.splitlines() if x.startswith(name))
        assert reason in row
    assert "ro-plain" not in "\n".join(undecided)
    _assert_valid_ckl(ckl, reference)


def _assert_valid_ckl(ckl: Path, reference: Path) -> None:
    schema = xmlschema.XMLSchema(reference / "checklist" / "U_Checklist_Schema_V2.xsd")
    schema.validate(str(ckl))


# -- Least privilege ---------------------------------------------------------------

# Every request a read-only socket proxy must let through (README, "Scanning
# through a read-only socket proxy"), and nothing else.
ALLOWED = re.compile(
    r"/version"
    r"|/v1\.\d+/info"
    r"|/v1\.\d+/containers/json\?all=1(&filters=[^&]+)?"
    r"|/v1\.\d+/containers/[0-9a-f]{64}/json"
)


def test_every_output_option_sends_only_allowed_gets(
    engine: PrivateEngine, short_dir: Path, tmp_path: Path, reference: Path
) -> None:
    make_containers(engine, MIXED)
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(WAIVERS_YAML)
    stig = (
        reference
        / "disa"
        / "U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml"
    )
    out = tmp_path / "out"
    new_files = [
        "--results-arf", str(out / "arf.xml"),
        "--results", str(out / "xccdf.xml"),
        "--report", str(out / "report.html"),
        "--json", str(out / "results.json"),
        "--ckl", str(out / "host.ckl"),
        "--cklb", str(out / "host.cklb"),
        "--stig", str(stig),
        "--waivers", str(waivers),
    ]  # fmt: skip
    narrowed = ["--label", "env", "--name", "*", "--exclude-name", "none-*"]
    updates = ["--update-ckl", str(out / "host.ckl")]
    updates += ["--update-cklb", str(out / "host.cklb")]

    with recording_proxy(short_dir / "proxy.sock", engine.socket) as proxy:
        runs = [
            _evaluate("evaluate", "--host", proxy.url, *new_files),
            _evaluate("evaluate", "--host", proxy.url, *updates, *narrowed),
            _evaluate("evaluate", "--host", proxy.url, "--json", "-"),
        ]

    # No container carries the label: filters that leave nothing give error.
    assert [run.exit_code for run in runs] == [2, 1, 2], [r.output for r in runs]
    assert len(list(out.iterdir())) == 6
    methods = {method for method, _ in proxy.requests}
    assert methods == {"GET"}
    refused = [path for _, path in proxy.requests if not ALLOWED.fullmatch(path)]
    assert refused == []
    listings = [path for _, path in proxy.requests if "/containers/json" in path]
    assert len(listings) == 3
    assert any("filters=" in path for path in listings)  # --label went to the engine


# -- Content errors: nothing written, an earlier output left as it was -----------

RULE_FILE = "rules/DKER-EE-002030.yml"
CONTENT_ERRORS = {
    "bad YAML": ("severity: high", "severity: [high", r":\d+: .*not valid YAML"),
    "malformed rule id": (
        "    rule: SV-104789r1_rule",
        "    rule: SV_104789",
        r":\d+: releases\.V1R1\.rule: 'SV_104789' is not of the form",
    ),
    "duplicate STIG id": (
        "stig_id: DKER-EE-002030",
        "stig_id: DKER-EE-002030",  # the file is copied: two rules, one id
        r"duplicate id 'DKER-EE-002030'",
    ),
}


@pytest.mark.parametrize("name", CONTENT_ERRORS)
def test_bad_content_writes_nothing_and_leaves_earlier_output(
    name: str, tmp_path: Path
) -> None:
    old, new, message = CONTENT_ERRORS[name]
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT, content)
    rule = content / RULE_FILE
    rule.write_text(rule.read_text().replace(old, new, 1))
    if name == "duplicate STIG id":
        shutil.copy(rule, content / "rules" / "copy.yml")
    out = tmp_path / "build"
    out.mkdir()
    (out / "earlier.xml").write_bytes(EARLIER)
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    generated = _evaluate("generate", "--content", str(content), "--out", str(out))
    evaluated = _evaluate(
        "evaluate",
        "--content",
        str(content),
        "--host",
        "unix:///nonexistent.sock",  # never reached: content is read first
        "--results",
        str(out / "earlier.xml"),
    )

    for run in (generated, evaluated):
        assert run.exit_code == 1, run.output
        (line,) = run.stderr.splitlines()
        assert line.startswith(f"Error: {content}/")
        assert re.search(message, line), line
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_a_restart_finished_between_two_requests_cannot_be_seen_and_harms_nothing(
    victim: PrivateEngine, tmp_path: Path
) -> None:
    """The Engine API tells no start time: an engine restarted completely after
    the listing answers the inspections as before. The setting is stored with
    the container, so the verdicts are still right; this pins that down."""
    bring_up(victim)

    class RestartTheEngine(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "listed" in str(record.msg):
                end_engine(victim, signal.SIGTERM)
                bring_up(victim)

    hook = RestartTheEngine(logging.DEBUG)
    logger = logging.getLogger("dockscap.evaluator.engine")
    logger.addHandler(hook)
    try:
        run = _evaluate(
            "--log-file",
            str(tmp_path / "dockscap.log"),
            "evaluate",
            "--host",
            victim.url,
            "--json",
            str(tmp_path / "r.json"),
        )
    finally:
        logger.removeHandler(hook)

    assert run.exit_code == 2, run.output
    (host,) = json.loads((tmp_path / "r.json").read_text())["hosts"]
    verdicts = {c["name"]: c["verdict"] for c in host["containers"]}
    assert verdicts == {
        f"victim-{n:03d}": "pass" if n % 2 == 0 else "fail"
        for n in range(VICTIM_CONTAINERS)
    }
