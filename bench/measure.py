"""Time one command as a whole process tree: wall time, CPU time and peak memory.

The command runs under spawn.py, a small launcher that starts it and reaps it
with os.wait4, whose resource usage covers the command and every descendant
it waited for: for `sh -c 'a | xargs b'`, that is sh, both sides of the pipe
and every process xargs ran. CPU time is their sum. Peak memory is Linux's
ru_maxrss: the largest resident set that any one process of the tree reached,
not the sum of those alive at the same moment (the README's Benchmark section
says what that means for the shell pipelines). The engine's own work, in
dockerd, is in the wall time but in neither of the others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SPAWN = Path(__file__).resolve().parent / "spawn.py"


@dataclass(frozen=True)
class Sample:
    """One timed run."""

    wall: float
    cpu: float
    peak_kib: int
    exit_code: int

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def measure(
    command: Sequence[str],
    environment: Mapping[str, str],
    stdout: Path,
    stderr: Path,
    timeout: float,
) -> Sample:
    """Run COMMAND with its output in files; killed (exit -9) after TIMEOUT s."""
    report = stdout.with_name("usage.txt")
    launcher = [sys.executable, "-I", "-S", str(SPAWN), str(report), *command]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            launcher,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, **environment},
            start_new_session=True,
        )
        watchdog = threading.Timer(timeout, _kill, (process.pid,))
        watchdog.start()
        process.wait()
        watchdog.cancel()

    if process.returncode != 0:
        return Sample(float("nan"), float("nan"), 0, -abs(process.returncode))
    wall, status, peak, user, system = report.read_text().split()
    return Sample(
        wall=float(wall),
        cpu=float(user) + float(system),
        peak_kib=int(peak),
        exit_code=os.waitstatus_to_exitcode(int(status)),
    )


def _kill(pid: int) -> None:
    """Kill the command's whole session: sh, xargs and whatever they started."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
