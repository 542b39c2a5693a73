"""Run STIG Manager's real import parsers (Node.js) on a file dockscap wrote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import require, require_tool

NODE_DIR = Path(__file__).resolve().parent / "node"
PACKAGE = NODE_DIR / "node_modules" / "@nuwcdivnpt" / "stig-manager-client-modules"


def stig_manager_reads(format_: str, path: Path) -> dict[str, Any]:
    """What STIG Manager would import from PATH: {target, checklists: [{reviews}]}."""
    node = require_tool("node", "nodejs")
    require(PACKAGE.is_dir(), f"{PACKAGE} is missing: run `make install`")
    completed = subprocess.run(
        [node, str(NODE_DIR / "parse.mjs"), format_, str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    parsed: dict[str, Any] = json.loads(completed.stdout)
    return parsed
