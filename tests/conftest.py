"""Shared fixtures: real tools only, and under CI=true a missing tool fails the run."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from private_engine import PrivateEngine  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip in a user's clone; fail in CI, where every tool must be present."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (Debian package {package})")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def reference() -> Path:
    """DISA's published files, read in place from ../shared/reference."""
    require(REFERENCE.is_dir(), f"{REFERENCE} is not here (it sits beside the clone)")
    return REFERENCE


@pytest.fixture(scope="session")
def oscap() -> str:
    return require_tool("oscap", "openscap-scanner")


@pytest.fixture(scope="session")
def private_engine() -> Iterator[PrivateEngine]:
    """A private dockerd (DESIGN.md), started once and stopped if we started it."""
    require_tool("dockerd", "docker.io")
    require(Path("/bin/busybox").is_file(), "/bin/busybox is missing (busybox-static)")
    require(os.geteuid() == 0, "a private dockerd needs root")
    engine = PrivateEngine(os.environ.get("DOCKSCAP_TEST_ENGINE", ""))
    started = engine.start()
    with engine.client() as client:
        engine.ensure_image(client)
    yield engine
    with engine.client() as client:
        engine.remove_all_containers(client)
    if started:
        engine.stop()


@pytest.fixture
def engine(private_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    """The private engine, emptied of containers before and after each test."""
    with private_engine.client() as client:
        private_engine.remove_all_containers(client)
    yield private_engine
    with private_engine.client() as client:
        private_engine.remove_all_containers(client)
