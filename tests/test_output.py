"""write_atomically replaces regular files only, follows links, keeps modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockscap.errors import InputError
from dockscap.output import write_atomically


def test_a_link_is_followed_and_the_file_it_names_is_replaced(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    real = archive / "real.ckl"
    real.write_bytes(b"<old/>")
    link = tmp_path / "link.ckl"
    link.symlink_to(real)

    write_atomically([(link, b"<new/>")])

    assert link.is_symlink()
    assert real.read_bytes() == b"<new/>"


def test_a_pipe_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    pipe = tmp_path / "results.fifo"
    os.mkfifo(pipe)
    first = tmp_path / "first.xml"
    first.write_bytes(b"<old/>")

    with pytest.raises(InputError, match="is not a regular file"):
        write_atomically([(first, b"<new/>"), (pipe, b"<new/>")])

    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert first.read_bytes() == b"<old/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.xml", "results.fifo"]


def test_a_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="/dev/null: it is not a regular file"):
        write_atomically([(Path("/dev/null"), b"<new/>")])

    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    kept = tmp_path / "private.ckl"
    kept.write_bytes(b"<old/>")
    kept.chmod(0o600)

    write_atomically([(kept, b"<new/>")])

    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_bytes() == b"<new/>"


def test_a_new_file_takes_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        write_atomically([(tmp_path / "new.xml", b"<new/>")])
    finally:
        os.umask(previous)

    assert stat.S_IMODE((tmp_path / "new.xml").stat().st_mode) == 0o600


def test_missing_folders_are_made_for_the_files(tmp_path: Path) -> None:
    results = tmp_path / "out" / "docker01" / "results.xml"

    write_atomically([(results, b"<new/>")])

    assert results.read_bytes() == b"<new/>"


def test_folders_made_for_a_run_that_fails_are_removed_again(tmp_path: Path) -> None:
    # The second file cannot be written (a file stands where its folder would
    # go): nothing of the run may stay, not even the folders made for the first.
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file, not a folder")
    first = tmp_path / "new" / "sub" / "results.xml"

    with pytest.raises(InputError, match="blocker/sub/host.ckl: Not a directory"):
        write_atomically([(first, b"<new/>"), (blocker / "sub" / "host.ckl", b"x")])

    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_a_link_to_a_pipe_is_refused_for_what_it_is(tmp_path: Path) -> None:
    # As /dev/stdout is in a pipeline: the link resolves to /proc/self/fd/N,
    # whose own target, pipe:[inode], is no path at all.
    read, write = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write}")
    try:
        with pytest.raises(InputError, match="stdout: it is not a regular file"):
            write_atomically([(link, b"<new/>")])
    finally:
        os.close(read)
        os.close(write)
