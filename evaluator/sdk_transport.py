"""tcp:// (TLS or not) and ssh:// engines, reached through the docker SDK.

The SDK reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH the way the
docker CLI does and holds the transports: TLS connection pools, HTTP proxies
and (evaluator/ssh.py) the ssh transport. Only those are used: the requests
go straight to the SDK's urllib3 pool, skipping `requests`' per-call work,
which costs more than the engine's answer. Only through an HTTP proxy
(tcp:// with HTTP(S)_PROXY set) do they go through the SDK's session, which
knows proxies.

Local sockets never come here (evaluator/engine.py): importing the SDK and its
HTTP stack costs about 0.1 s of CPU, a quarter of a thousand inspects.
"""

from __future__ import annotations

import http.client
import ssl
from typing import Any
from urllib.parse import urlsplit

import docker
import requests
import urllib3
from docker.transport.basehttpadapter import BaseHTTPAdapter

from dockscap.evaluator.ssh import SshAdapter

# The error classes of the SDK and its HTTP stack that evaluator.engine.describe
# puts into words; only code of this module can raise them.
INVALID_VERSION = docker.errors.InvalidVersion
TLS_PARAMETERS = docker.errors.TLSParameterError
SSL_ERRORS = (urllib3.exceptions.SSLError, ssl.SSLError)
TIMEOUTS = (urllib3.exceptions.TimeoutError, requests.Timeout)
# urllib3 files a refused connection under timeouts (NewConnectionError derives
# from ConnectTimeoutError); the OS error it wraps says more.
NOT_TIMEOUTS = (urllib3.exceptions.NewConnectionError,)
CONNECTION_LOST = (urllib3.exceptions.ProtocolError, http.client.HTTPException)


class SdkTransport:
    """GET over the SDK's transport for ENDPOINT, with the CLI's environment."""

    def __init__(
        self,
        endpoint: str,
        api_version: str,
        timeout: float,
        pool_size: int,
        user_agent: str,
    ) -> None:
        settings: dict[str, Any] = docker.utils.kwargs_from_env()
        settings["base_url"] = endpoint
        self._client = _client(endpoint, settings, api_version, timeout, pool_size)
        self._client.headers["User-Agent"] = user_agent
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._base = urlsplit(self._client.base_url).path.rstrip("/")
        self._headers = dict(self._client.headers)
        self._pool = _direct_pool(self._client)

    def get(self, target: str) -> tuple[int, bytes]:
        """The status and body of GET TARGET (a path with its query)."""
        if self._pool is None:
            answer = self._client.get(
                self._client.base_url + target,
                timeout=self._timeout.read_timeout,
                verify=self._client.verify,
            )
            return answer.status_code, answer.content

        response = self._pool.urlopen(
            "GET",
            self._base + target,
            headers=self._headers,
            retries=False,
            redirect=False,
            timeout=self._timeout,
            preload_content=True,
        )
        return response.status, response.data

    def ssh_error(self) -> str | None:
        """What ssh said when it failed, for ssh:// engines."""
        adapter = self._client.get_adapter(self._client.base_url)
        return adapter.ssh_error() if isinstance(adapter, SshAdapter) else None

    def close(self) -> None:
        self._client.close()


def _client(
    endpoint: str,
    settings: dict[str, Any],
    api_version: str,
    timeout: float,
    pool_size: int,
) -> docker.APIClient:
    """The SDK client, made without a request: the version is settled by GET."""
    if urlsplit(endpoint).scheme != "ssh":
        return docker.APIClient(
            **settings, version=api_version, timeout=timeout, max_pool_size=pool_size
        )

    # The SDK's ssh transport would import paramiko; ours runs ssh as the CLI
    # does, mounted where the SDK mounts its unix socket transport.
    client = docker.APIClient(
        base_url="unix:///ssh", version=api_version, timeout=timeout
    )
    client.mount("http+docker://", SshAdapter(endpoint, timeout, pool_size))
    return client


def _direct_pool(client: docker.APIClient) -> Any:
    """The connection pool behind the SDK's session; None behind an HTTP proxy."""
    probe = f"{client.base_url}/_ping"
    adapter = client.get_adapter(probe)
    settings = client.merge_environment_settings(probe, {}, None, None, None)
    proxied = requests.utils.select_proxy(probe, settings["proxies"])
    if proxied and not isinstance(adapter, BaseHTTPAdapter):
        return None
    # TLS as DOCKER_CERT_PATH says, as the CLI does: requests would let
    # REQUESTS_CA_BUNDLE replace the engine's CA (psf/requests#3829).
    request = client.prepare_request(requests.Request("GET", probe))
    return adapter.get_connection_with_tls_context(
        request, client.verify, None, client.cert
    )
