"""Every data file the app reads at run time ships in the package (the Docker image installs
Loket with `pip install .`, where only declared package data is copied)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_under_app_is_declared_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["app"]
    package = ROOT / "app"
    data_files = {
        path.relative_to(package)
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    declared = {path.relative_to(package) for pattern in patterns for path in package.glob(pattern)}
    assert data_files, "the app has data files (catalogue, translations, stylesheet)"
    assert data_files - declared == set()
