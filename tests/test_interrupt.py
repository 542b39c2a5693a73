"""Ctrl-C and failures while writing: exit 130, and no partial or changed file.

The Ctrl-C test sends SIGINT to a real `dockscap evaluate` process while it is
inspecting containers: the fault proxy (tests/fault_proxy.py) in front of the
real engine holds each inspect answer back for a moment, so the scan is still
running when the signal comes. The write tests make `write_atomically` fail
for real: its second target lies on a read-only file system.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from evaluate_support import Spec, make_containers
from fault_proxy import fault_proxy
from private_engine import PrivateEngine

from dockscap.errors import InputError
from dockscap.output import write_atomically

DOCKSCAP = str(Path(sys.executable).with_name("dockscap"))
EARLIER = b"<earlier results, not to be touched/>\n"
INSPECT_DELAY = 0.5
INSPECT = re.compile(r"/containers/[0-9a-f]{64}/json$")


@pytest.fixture
def short_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dsi-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _default_sigint() -> None:
    # A shell without job control starts background commands with SIGINT
    # ignored, and Python keeps it so; a user's Ctrl-C is never ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.engine
def test_ctrl_c_during_a_scan_exits_130_and_writes_nothing(
    engine: PrivateEngine, short_dir: Path, tmp_path: Path
) -> None:
    make_containers(
        engine, [Spec(f"slow-{n}", n % 2 == 0, "created") for n in range(12)]
    )
    inspecting = threading.Event()

    def hold_back_inspects(method: str, path: str) -> None:
        if "/containers/" in path and "/containers/json" not in path:
            inspecting.set()
            threading.Event().wait(INSPECT_DELAY)

    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "earlier.ckl"
    earlier.write_bytes(EARLIER)
    with fault_proxy(
        short_dir / "proxy.sock", engine.socket, before=hold_back_inspects
    ) as proxy:
        process = subprocess.Popen(
            [DOCKSCAP, "evaluate", "--host", proxy.url, "--ckl", str(earlier)]
            + ["--results", str(out / "new.xml"), "--json", str(out / "new.json")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,
        )
        try:
            assert inspecting.wait(timeout=120), "the scan never reached inspection"
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        inspected = [p for p in proxy.paths() if INSPECT.search(p)]

    assert process.returncode == 130, stderr
    assert stderr == "Interrupted.\n"
    assert stdout == ""
    assert 0 < len(inspected) < 12  # stopped part way through the inspections
    assert earlier.read_bytes() == EARLIER
    assert sorted(path.name for path in out.iterdir()) == ["earlier.ckl"]


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only file system: even root cannot write there."""
    require(shutil.which("mount") is not None, "mount is not installed")
    folder = tmp_path / "read-only"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    require(mounted.returncode == 0, f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_write_that_fails_halfway_leaves_every_target_as_it_was(
    tmp_path: Path, read_only_folder: Path
) -> None:
    first = tmp_path / "first.xml"
    first.write_bytes(EARLIER)
    second = read_only_folder / "second.xml"

    with pytest.raises(InputError) as caught:
        write_atomically([(first, b"<new/>\n"), (second, b"<new/>\n")])

    assert str(caught.value) == f"cannot write {second}: Read-only file system"
    assert first.read_bytes() == EARLIER
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "first.xml",
        "read-only",
    ]


def test_ctrl_c_while_writing_leaves_every_target_as_it_was(tmp_path: Path) -> None:
    first = tmp_path / "first.xml"
    first.write_bytes(EARLIER)

    def files() -> Iterator[tuple[Path, bytes]]:
        yield first, b"<new/>\n"
        raise KeyboardInterrupt  # as Ctrl-C would, between two files

    with pytest.raises(KeyboardInterrupt):
        write_atomically(files())

    assert first.read_bytes() == EARLIER
    assert [path.name for path in tmp_path.iterdir()] == ["first.xml"]


def test_a_target_that_is_a_folder_stops_the_write_before_any_file_changes(
    tmp_path: Path,
) -> None:
    first = tmp_path / "first.xml"
    first.write_bytes(EARLIER)
    folder = tmp_path / "second.xml"
    folder.mkdir()

    with pytest.raises(InputError) as caught:
        write_atomically([(first, b"<new/>\n"), (folder, b"<new/>\n")])

    assert str(caught.value) == f"cannot write {folder}: it is a folder"
    assert first.read_bytes() == EARLIER
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "first.xml",
        "second.xml",
    ]
