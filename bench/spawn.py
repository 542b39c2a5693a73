"""Run a command and write its wall time and resource usage to a file.

    python -I -S bench/spawn.py REPORT COMMAND [ARGUMENT...]

measure.py runs every timed command through this small launcher rather than
straight from the benchmark's own process, because of how Linux keeps peak
memory: at exec a process keeps the high-water mark of the memory it had
before, and a child forked from the benchmark (a Python process of some 60
MiB) would start from that. Forked from this launcher it starts from about
8 MiB, below every tool measured. The standard library only, no site
packages: the launcher stays small.

REPORT gets one line: wall seconds, wait status, peak KiB, user s, system s.
"""

import os
import sys
import time


def main() -> None:
    report, command = sys.argv[1], sys.argv[2:]

    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started

    with open(report, "w") as out:
        out.write(
            f"{wall:.6f} {status} {usage.ru_maxrss} "
            f"{usage.ru_utime:.6f} {usage.ru_stime:.6f}\n"
        )


if __name__ == "__main__":
    main()
