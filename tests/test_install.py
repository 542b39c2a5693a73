"""A plain `pip install .`, not only an editable one, gives a working dockscap."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding dockscap built from this checkout."""
    environment = tmp_path_factory.mktemp("venv")
    venv.create(environment, with_pip=True)
    subprocess.run(
        [environment / "bin" / "pip", "install", "--quiet", str(ROOT)],
        check=True,
        timeout=600,
    )
    return environment / "bin"


def test_generate_runs_from_the_installed_package(
    installed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"

    completed = subprocess.run(
        [installed / "dockscap", "generate", "--release", "V1R1", "--out", out],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    written = sorted(path.name for path in out.iterdir())
    assert "dockscap-docker-V1R1-ds.xml" in written
    assert "dockscap-docker-V1R1-xccdf.xml" in written


def test_folders_are_not_top_level_packages(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util as u, json; "
        "print(json.dumps([u.find_spec(n) is not None for n in "
        "('generator', 'evaluator', 'schemas', 'content', 'dockscap.generator')]))"
    )

    completed = subprocess.run(
        [installed / "python", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.strip() == "[false, false, false, false, true]"


def test_content_and_templates_are_inside_the_package(
    installed: Path, tmp_path: Path
) -> None:
    probe = (
        "import dockscap.generator.content as c; "
        "print(c.DEFAULT_CONTENT.is_relative_to(__import__('sys').prefix))"
    )

    completed = subprocess.run(
        [installed / "python", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.strip() == "True"
