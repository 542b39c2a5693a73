"""Read-only access to one Docker engine's API.

The connection is made the way the docker CLI makes it: `--host URL`, else
DOCKER_HOST, else the local socket. A unix socket is spoken to directly, on
keep-alive connections whose answers llhttp parses (evaluator/unix_transport.py):
importing the docker SDK and its HTTP stack would cost every scan about 0.1 s
of CPU, and urllib3's pool spends about as much CPU on a request as the rest
of the scan does. tcp:// (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH) and
ssh:// go through the docker SDK's transports (evaluator/sdk_transport.py,
evaluator/ssh.py).

Every request goes through `Engine._get`, which can only send GET, and these
are all of them:

- GET /version, unversioned: the API version to speak (the lower of the
  engine's and the newest dockscap speaks), and the engine's version facts;
- GET /v{api}/info: the host's name, operating system, kernel and architecture;
- GET /v{api}/containers/json?all=1: every container (sizes are not asked for);
- GET /v{api}/containers/{id}/json: one inspect per container.

The inspects run on a small thread pool, and each answer is reduced to a small
record inside the worker, so no inspect document outlives its container.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httptools

from dockscap import __version__
from dockscap.errors import EngineError
from dockscap.evaluator.localhost import is_this_machine, local_facts
from dockscap.evaluator.results import Container, EngineHost
from dockscap.evaluator.unix_transport import UnixTransport

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_ENDPOINT = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 60.0
# Measured on 2 cores against a local engine: a second and third worker overlap
# the engine's work with ours; more only contend for the interpreter lock.
DEFAULT_WORKERS = 3
# The Engine API versions dockscap speaks: the docker SDK's range
# (docker.constants; a test holds the two together).
MINIMUM_API = "1.24"
NEWEST_API = "1.45"
USER_AGENT = f"dockscap/{__version__}"

HINT_SOCKET = "is the Docker engine running? Name another with --host or DOCKER_HOST"
HINT_TIMEOUT = (
    "is the engine up and reachable there, and is it a Docker engine? A busy "
    "one may need a longer --timeout"
)
HINT_PERMISSION = (
    "run as root or as a member of the docker group, "
    "or scan through a read-only socket proxy"
)
HINT_TLS = (
    "check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY, "
    "and that the engine listens with TLS on that port"
)
HINT_NAME = "check the host name, or name the engine by its IP address"
HINT_URL = "use unix:///path/docker.sock, tcp://HOST:PORT or ssh://USER@HOST"
HINT_MID_SCAN = "it stopped or restarted during the scan; run the scan again"
HINT_FORBIDDEN = (
    "a socket proxy in between must allow GET on /version, /info, "
    "/containers/json and /containers/{id}/json"
)
HINT_NOT_JSON = "is this a Docker engine? A proxy in between must pass its answers on"


@dataclass(frozen=True)
class ListedContainer:
    """What the listing tells of a container: enough to name it if it vanishes."""

    id: str
    name: str


class Transport(Protocol):
    """How GETs reach one engine: its local socket, or the SDK's transports."""

    def get(self, target: str) -> tuple[int, bytes]: ...

    def ssh_error(self) -> str | None: ...

    def close(self) -> None: ...


class Engine:
    """A connected engine. Use `connect()`; close it (or use `with`) when done."""

    def __init__(self, transport: Transport, endpoint: str, workers: int) -> None:
        self.endpoint = endpoint
        self.workers = max(1, workers)
        self._transport = transport
        self._version: Mapping[str, Any] = {}
        self._api = MINIMUM_API

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    @property
    def api_version(self) -> str:
        """The Engine API version this connection speaks."""
        return self._api

    def negotiate(self) -> None:
        """Ask the engine's version (GET /version) and settle the API version.

        As the docker CLI does: the lower of the engine's newest version and
        the newest the SDK knows, refused when the engine is older than the
        SDK's minimum.
        """
        version = self._get("/version")
        if not isinstance(version, Mapping) or not version.get("ApiVersion"):
            raise EngineError(self.endpoint, "GET /version gave no ApiVersion")
        server = str(version["ApiVersion"])
        if _version_key(server) is None:
            raise EngineError(
                self.endpoint, f"GET /version gave an ApiVersion of {server!r}"
            )

        if _older(server, MINIMUM_API):
            raise EngineError(
                self.endpoint,
                f"the engine speaks Engine API {server}, older than {MINIMUM_API}",
                f"upgrade the engine; dockscap reads Engine API {MINIMUM_API} or newer",
            )
        self._version = version
        self._api = NEWEST_API if _older(NEWEST_API, server) else server

    def host(self) -> EngineHost:
        """The engine's host, from GET /info and GET /version (and this machine)."""
        info = self._get(f"/v{self._api}/info")
        info = info if isinstance(info, Mapping) else {}
        version = self._version

        name = _text(info.get("Name")) or _url_host(self.endpoint) or "unknown"
        addresses, macs, fqdn = self._addresses(name)
        return EngineHost(
            endpoint=self.endpoint,
            name=name,
            fqdn=fqdn,
            ip_addresses=addresses,
            mac_addresses=macs,
            operating_system=_text(info.get("OperatingSystem")),
            kernel_version=_text(
                info.get("KernelVersion") or version.get("KernelVersion")
            ),
            architecture=_text(info.get("Architecture") or version.get("Arch")),
            engine_version=_text(version.get("Version") or info.get("ServerVersion")),
            api_version=_text(version.get("ApiVersion")),
        )

    def _addresses(
        self, name: str
    ) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """Addresses known for certain: this machine's for its socket, or the URL's."""
        scheme = urlsplit(self.endpoint).scheme
        if scheme == "unix" and is_this_machine(name):
            facts = local_facts()
            return facts.ip_addresses, facts.mac_addresses, facts.fqdn

        url_host = _url_host(self.endpoint)
        if scheme in ("tcp", "http", "https", "ssh") and url_host:
            try:
                address = ipaddress.ip_address(url_host)
            except ValueError:
                first, dot, _ = url_host.partition(".")
                fqdn = url_host if dot and first.casefold() == name.casefold() else None
                return (), (), fqdn
            return (_full_form(address),), (), None
        return (), (), None

    def containers(
        self, filters: Mapping[str, list[str]] | None = None
    ) -> list[ListedContainer]:
        """Every container, stopped and never-started ones included, without sizes.

        FILTERS go to the engine as the list call's `filters` (only the exact
        ones: ContainerFilter.engine_filters).
        """
        started = time.monotonic()
        query = {"all": "1"}
        if filters:
            query["filters"] = json.dumps(dict(filters))
        listing = self._get(f"/v{self._api}/containers/json", query)
        if not isinstance(listing, list):
            raise EngineError(self.endpoint, "the container list is not a JSON list")

        listed = [
            ListedContainer(str(entry["Id"]), _listed_name(entry))
            for entry in listing
            if isinstance(entry, Mapping) and entry.get("Id")
        ]
        log.debug(
            "%s: listed %d containers in %.3f s",
            self.endpoint,
            len(listed),
            time.monotonic() - started,
        )
        return listed

    def inspect_each(
        self,
        containers: Sequence[ListedContainer],
        read: Callable[[Mapping[str, Any]], T],
        inspected: Callable[[], None] | None = None,
    ) -> list[T | None]:
        """Inspect every container and apply READ to its document, in a worker.

        Returns READ's results in listing order, None for a container removed
        since the listing; INSPECTED is called (from the workers) after each.
        Each worker holds one document at a time, whatever the number of
        containers.
        """
        started = time.monotonic()
        results: list[T | None] = [None] * len(containers)
        next_index = _Counter(len(containers))

        def work() -> None:
            for index in iter(next_index, None):
                results[index] = self._inspect(containers[index], read)
                if inspected is not None:
                    inspected()

        if self.workers == 1:
            work()
        else:
            _run_in_threads(work, self.workers, stop=next_index.stop)
        log.debug(
            "%s: inspected %d containers in %.3f s with %d worker(s)",
            self.endpoint,
            len(containers),
            time.monotonic() - started,
            self.workers,
        )
        return results

    def _inspect(
        self, item: ListedContainer, read: Callable[[Mapping[str, Any]], T]
    ) -> T | None:
        path = f"/v{self._api}/containers/{quote(item.id, safe='')}/json"
        document = self._get(path, missing_ok=True)
        if document is None:
            log.debug("%s: %s vanished before inspection", self.endpoint, item.id[:12])
            return None
        if not isinstance(document, Mapping):
            raise EngineError(self.endpoint, f"GET {path} did not answer a JSON object")
        return read(document)

    def _get(
        self,
        path: str,
        query: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """GET PATH; None for 404 when MISSING_OK; any failure is an EngineError."""
        target = path + (f"?{urlencode(query)}" if query else "")
        # After GET /version the engine is known to have answered: losing it
        # now means it stopped or restarted mid-scan, whatever the OS says.
        scanning = bool(self._version)
        with _Translate(self.endpoint, self._transport.ssh_error, scanning):
            status, body = self._transport.get(target)
            if status == 404 and missing_ok:
                return None
            if status != 200:
                raise _StatusError(path, status, *_explanation(body))
            document = json.loads(body)
        if _SURROGATE_ESCAPE.search(body):
            document = _without_surrogates(document, path)
        return document


class _Counter:
    """0, 1, ... up to a limit, one number to each caller, from any thread;
    None once done or stopped."""

    def __init__(self, limit: int) -> None:
        self._numbers = iter(range(limit))
        self._lock = threading.Lock()
        self._stopped = False

    def __call__(self) -> int | None:
        with self._lock:
            return None if self._stopped else next(self._numbers, None)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True


def _run_in_threads(
    work: Callable[[], None], count: int, stop: Callable[[], None]
) -> None:
    """Run WORK on COUNT threads until each returns; the first error stops all.

    Each thread takes the next container itself, so that a request costs no
    hand-over between threads: on a local socket those cost more CPU than the
    request does.
    """
    running: list[Future[None]] = []
    with ThreadPoolExecutor(count, thread_name_prefix="inspect") as pool:
        try:
            running += (pool.submit(work) for _ in range(count))
            wait(running, return_when=FIRST_EXCEPTION)
        finally:
            stop()  # after an error or Ctrl-C, the others end their current request
    for future in running:
        future.result()  # raises the error, if a thread ended with one


def connect(
    host: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
) -> Engine:
    """Connect to HOST, or to DOCKER_HOST, or to the local socket, as the CLI would.

    Raises EngineError, with a hint, when the engine cannot be reached or speaks
    an API older than dockscap's minimum.
    """
    endpoint = host or os.environ.get("DOCKER_HOST") or DEFAULT_ENDPOINT
    started = time.monotonic()
    with _Translate(endpoint):
        engine = Engine(_transport(endpoint, timeout, workers), endpoint, workers)
    try:
        engine.negotiate()
    except BaseException:
        engine.close()
        raise
    log.debug(
        "%s: connected, Engine API %s, in %.3f s",
        endpoint,
        engine.api_version,
        time.monotonic() - started,
    )
    return engine


def _transport(endpoint: str, timeout: float, workers: int) -> Transport:
    socket_path = _unix_socket(endpoint)
    if socket_path is not None:
        return UnixTransport(socket_path, timeout, USER_AGENT)

    from dockscap.evaluator.sdk_transport import SdkTransport

    return SdkTransport(endpoint, MINIMUM_API, timeout, max(1, workers), USER_AGENT)


def _unix_socket(endpoint: str) -> str | None:
    """The socket's path for a unix:// endpoint, read as the docker SDK reads it."""
    parts = urlsplit(endpoint)
    if parts.scheme != "unix":
        return None
    return (parts.netloc + parts.path) or None


def container_from_inspect(
    document: Mapping[str, Any], listed: ListedContainer | None = None
) -> Container:
    """The small record of one container; odd or missing fields never raise.

    Podman's Docker-compatible API gives names without Docker's leading slash;
    both read the same here.
    """
    config = document.get("Config")
    config = config if isinstance(config, Mapping) else {}
    state = document.get("State")
    state = state if isinstance(state, Mapping) else {}
    labels = config.get("Labels")

    container_id = _text(document.get("Id")) or (listed.id if listed else "")
    name = _strip_slash(_text(document.get("Name"))) or (listed.name if listed else "")
    return Container(
        id=container_id,
        name=name or container_id[:12],
        image=_text(config.get("Image")) or _text(document.get("Image")) or "unknown",
        state=_text(state.get("Status")) or "unknown",
        labels=(
            {str(key): str(value) for key, value in labels.items()}
            if isinstance(labels, Mapping)
            else {}
        ),
    )


# JSON escapes \uD800 to \uDFFF can carry lone surrogates, which no Unicode text
# holds and no writer can encode; Go's encoder never writes them, others might.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(document: Any, path: str) -> Any:
    """DOCUMENT with every lone surrogate in its keys and strings replaced by U+FFFD."""
    replaced = 0

    def clean(value: Any) -> Any:
        nonlocal replaced
        if isinstance(value, str):
            text, count = _SURROGATE.subn("\ufffd", value)
            replaced += count
            return text
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, dict):
            return {clean(key): clean(item) for key, item in value.items()}
        return value

    cleaned = clean(document)
    if replaced:
        log.debug(
            "replaced %d lone surrogate(s) in the answer to GET %s", replaced, path
        )
    return cleaned


class _StatusError(Exception):
    def __init__(
        self, path: str, status: int, explanation: str, from_engine: bool
    ) -> None:
        self.path = path
        self.status = status
        self.explanation = explanation
        # A Docker engine gives every error as JSON with a "message".
        self.from_engine = from_engine
        super().__init__(f"GET {path} answered {status}: {explanation}")


class _Translate:
    """Turns whatever the SDK, requests, urllib3 or the OS raised into EngineError."""

    def __init__(
        self,
        endpoint: str,
        ssh_error: Callable[[], str | None] | None = None,
        scanning: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.ssh_error = ssh_error
        self.scanning = scanning

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not isinstance(error, Exception) or isinstance(error, EngineError):
            return
        said = self.ssh_error() if self.ssh_error else None
        if said:
            raise EngineError(
                self.endpoint,
                f"the ssh connection failed: {said}",
                ssh_hint(self.endpoint),
            ) from error
        problem, hint = describe(error, self.endpoint)
        if self.scanning and hint == HINT_SOCKET:
            problem, hint = f"the engine stopped answering: {problem}", HINT_MID_SCAN
        raise EngineError(self.endpoint, problem, hint) from error


def describe(error: BaseException, endpoint: str) -> tuple[str, str | None]:
    """What went wrong, in words, and what the user can do about it."""
    causes = list(_causes(error))
    scheme = urlsplit(endpoint).scheme
    sdk = _sdk_errors(endpoint)

    for cause in causes:
        if sdk is not None and isinstance(cause, sdk.INVALID_VERSION):
            return (
                f"the engine's API is older than {MINIMUM_API}",
                f"upgrade the engine; dockscap reads Engine API {MINIMUM_API} or newer",
            )
        if sdk is not None and isinstance(cause, sdk.TLS_PARAMETERS):
            return f"the TLS settings cannot be used: {cause}", HINT_TLS
        if sdk is not None and isinstance(cause, sdk.SSL_ERRORS):
            return f"TLS failed: {_reason(cause)}", HINT_TLS
        if isinstance(cause, _StatusError):
            return str(cause), _status_hint(cause)

    timeouts = (TimeoutError, *sdk.TIMEOUTS) if sdk is not None else (TimeoutError,)
    not_timeouts = sdk.NOT_TIMEOUTS if sdk is not None else ()
    for cause in causes:
        if isinstance(cause, FileNotFoundError):
            return f"no socket at {_socket_path(endpoint)}", HINT_SOCKET
        if isinstance(cause, NotADirectoryError):
            return (
                f"no socket at {_socket_path(endpoint)}: a part of the path is a file",
                HINT_SOCKET,
            )
        if isinstance(cause, PermissionError):
            return (
                f"permission denied on the socket {_socket_path(endpoint)}",
                HINT_PERMISSION,
            )
        if isinstance(cause, ConnectionRefusedError):
            return _refused(endpoint), HINT_SOCKET
        if isinstance(cause, socket.gaierror):
            return f"the host name cannot be resolved ({cause.strerror})", HINT_NAME
        if isinstance(cause, timeouts) and not isinstance(cause, not_timeouts):
            # ssh may be waiting on a prompt no one sees (a password, a host key).
            hint = ssh_hint(endpoint) if scheme == "ssh" else HINT_TIMEOUT
            return "the engine did not answer in time", hint

    if scheme == "ssh":
        return f"the ssh connection failed: {_reason(causes[-1])}", ssh_hint(endpoint)
    if any(isinstance(cause, json.JSONDecodeError) for cause in causes):
        return "the engine's answer is not JSON", HINT_NOT_JSON
    if any(isinstance(cause, httptools.HttpParserError) for cause in causes):
        return "the answer is not HTTP", HINT_NOT_JSON
    if any("Invalid bind address" in str(cause) for cause in causes):
        return f"not an engine address: {endpoint}", HINT_URL
    lost: tuple[type[BaseException], ...] = (ConnectionError,)
    if sdk is not None:
        lost += sdk.CONNECTION_LOST
    if any(isinstance(cause, lost) for cause in causes):
        return (
            f"the connection was lost: {_reason(causes[-1])}",
            HINT_MID_SCAN,
        )
    return _reason(error), None


def _refused(endpoint: str) -> str:
    """Connection refused, in words: the OS says so of a path that is no socket too."""
    path = _unix_socket(endpoint)
    if path is not None and os.path.exists(path) and not _is_socket(path):
        return f"{path} is not a socket"
    return "connection refused"


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return True  # nothing more can be said than the OS said


def _sdk_errors(endpoint: str) -> ModuleType | None:
    """The module naming the SDK's error classes, where ENDPOINT's scan used the SDK.

    Only the SDK's transports raise them, and a scan of a local socket never
    loads the SDK; loading it here would cost that scan its import. Imported,
    not looked up in sys.modules: another engine's thread may still be
    importing it, and the import waits until it is whole.
    """
    if _unix_socket(endpoint) is not None:
        return None
    from dockscap.evaluator import sdk_transport

    return sdk_transport


def ssh_hint(endpoint: str) -> str:
    """The command to try by hand: the one the ssh transport runs."""
    url = urlsplit(endpoint)
    port = f"-p {url.port} " if url.port else ""
    user = f"{url.username}@" if url.username else ""
    return (
        f"check that `ssh {port}{user}{url.hostname} docker system dial-stdio` "
        "runs without a prompt"
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps: causes, contexts, reasons and arguments."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        linked.extend(arg for arg in current.args if isinstance(arg, BaseException))
        todo.extend(item for item in linked if isinstance(item, BaseException))


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _status_hint(error: _StatusError) -> str | None:
    if "HTTPS server" in error.explanation:
        return "the engine wants TLS: " + HINT_TLS
    if error.status in (401, 403, 405):
        return HINT_FORBIDDEN
    if not error.from_engine:
        return HINT_NOT_JSON
    if error.status >= 500:
        return "see the engine's log, and run the scan again"
    return None


def _explanation(body: bytes) -> tuple[str, bool]:
    """The engine's message, or the start of whatever else answered, on one
    line; and whether it was the engine's.

    A proxy or another server may answer with an HTML page: only the text it
    shows is kept, since its tags and line breaks would break the one-line error.
    """
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        message = None
    from_engine = isinstance(message, str)
    text = message if isinstance(message, str) else _page_text(body)
    # Whatever answered must not write control sequences to the terminal.
    shown = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(shown.split())[:200] or "no explanation", from_engine


def _page_text(body: bytes) -> str:
    """The text a page shows in its body (its title mostly repeats a heading);
    a body that is no HTML page, as it is."""
    if not body.lstrip().startswith(b"<"):
        return body.decode("utf-8", "replace")
    from lxml import etree, html

    try:
        page = html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return body.decode("utf-8", "replace")
    etree.strip_elements(page, "script", "style", with_tail=False)
    shown = page.find("body")
    # Apart, so that <h1>Error</h1><p>The server...</p> keeps its words apart.
    return " ".join((shown if shown is not None else page).itertext())


def _older(version: str, than: str) -> bool:
    """Whether Engine API VERSION is older than THAN (both as "1.41")."""
    return (_version_key(version) or ()) < (_version_key(than) or ())


def _version_key(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def _socket_path(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return parts.path if parts.scheme in ("unix", "http+unix") else endpoint


def _url_host(endpoint: str) -> str | None:
    parts = urlsplit(endpoint)
    if parts.scheme in ("unix", "npipe", "http+unix", ""):
        return None
    return parts.hostname


def _full_form(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """IPv6 in the full eight-group form Asset Identification requires."""
    return address.exploded if address.version == 6 else str(address)


def _listed_name(entry: Mapping[str, Any]) -> str:
    names = entry.get("Names")
    if isinstance(names, list) and names:
        return _strip_slash(str(names[0]))
    return str(entry["Id"])[:12]


def _strip_slash(name: str | None) -> str:
    """Docker names carry one leading slash; Podman's do not."""
    if not name:
        return ""
    return name[1:] if name.startswith("/") else name


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (Mapping, list)):
        return None
    text = str(value).strip()
    return text or None
