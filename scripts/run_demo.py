"""`make run`: evaluate the engine DOCKER_HOST names, or a private one with samples.

Where no engine answers and this machine allows it (root, dockerd installed), a
private engine is started with a few sample containers, and the output says so
plainly. Results go to out/.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import docker
from private_engine import PrivateEngine, add_samples

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"
DOCKSCAP = Path(sys.executable).parent / "dockscap"
OUTPUTS = {
    "--results-arf": "arf.xml",
    "--results": "xccdf-results.xml",
    "--ckl": "checklist.ckl",
    "--cklb": "checklist.cklb",
    "--report": "report.html",
    "--json": "results.json",
}
EXIT_MEANING = {0: "the rule passes", 2: "the rule fails", 1: "an error"}


def engine_answers(url: str) -> bool:
    try:
        client = docker.APIClient(base_url=url, timeout=5)
        client.ping()
        client.close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False


def choose_engine() -> str:
    url = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if engine_answers(url):
        print(f"Evaluating the Docker engine at {url}.")
        return url

    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        sys.exit(
            f"No Docker engine answers at {url}, and this machine cannot start a "
            "private one (that needs root and Debian's docker.io and busybox-static). "
            "Set DOCKER_HOST to an engine and run `make run` again."
        )
    demo = PrivateEngine("demo")
    how = "Started" if demo.start() else "Using the already running"
    others = add_samples(demo)
    added = f", and {others} other container(s) added to it since" if others else ""
    print(
        f"No Docker engine answers at {url}.\n"
        f"{how} PRIVATE demo engine at {demo.url} (data root {demo.data_root})\n"
        f"with sample containers, some read-only and some not{added}. Stop it with:\n"
        "  .venv/bin/python scripts/private_engine.py stop --name demo\n"
    )
    return demo.url


def main(arguments: list[str]) -> int:
    url = choose_engine()
    OUT.mkdir(exist_ok=True)
    command = [str(DOCKSCAP), "evaluate", "--host", url, *arguments]
    for option, name in OUTPUTS.items():
        command += [option, str(OUT / name)]
    # As it can be run again from the checkout: .venv/bin/dockscap evaluate ...
    print("$", shlex.join(command).replace(str(ROOT) + "/", ""))
    code = subprocess.run(command, check=False).returncode
    meaning = EXIT_MEANING.get(code, "unexpected")
    print(f"\nExit code {code}: {meaning}. Results in out/.")
    return 0 if code in (0, 2) else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
