"""Lay out the installed package shape with symlinks, so mypy sees dockscap.generator.

mypy does not run setuptools' editable-install finder, so the folder mapping of
pyproject.toml (generator/ -> dockscap.generator, ...) is rebuilt here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = ("generator", "evaluator", "schemas")


def main(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    package = target / "dockscap"
    package.mkdir(parents=True)
    for module in (ROOT / "dockscap").glob("*.py"):
        (package / module.name).symlink_to(module)
    for folder in MAPPED:
        (package / folder).symlink_to(ROOT / folder)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
