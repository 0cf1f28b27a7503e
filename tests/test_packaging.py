"""Loket as a package: every file it reads at run time ships in the wheel, and the installed
`loket` works from any directory, with no checkout beside it (the Docker image and `pipx
install` see only the installed package)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

from app import resources
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[1]
# What the build reads: the same list as the Dockerfile's build stage copies.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "app", "migrations", "templates")
# Run in the temporary virtualenv: where the package and its folders were found.
PROBE = """
import json, app
from app import resources
def files(folder):
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
print(json.dumps({
    "app": app.__file__,
    "templates": files(resources.templates_dir()),
    "migrations": files(resources.migrations_dir()),
}))
"""


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


def test_a_checkout_uses_its_top_level_folders():
    assert resources.templates_dir() == ROOT / "templates"
    assert resources.migrations_dir() == ROOT / "migrations"


def test_the_docker_image_builds_from_the_same_sources_and_gets_only_the_wheel():
    # Docker is not available where the suite runs; the wheel test below builds what the
    # build stage builds, from the same files.
    build, image = re.split(r"^FROM .*$", (ROOT / "Dockerfile").read_text(), flags=re.M)[1:]
    copied = {
        source
        for line in build.splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    assert copied == set(SOURCES)
    image_copies = [line for line in image.splitlines() if line.startswith(("COPY", "ADD"))]
    assert image_copies == ["COPY --from=build /wheels /tmp/wheels"]


def test_the_installed_wheel_migrates_seeds_and_serves_from_an_empty_directory(tmp_path):
    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    _install(wheel, env_dir)
    environ = _clean_environment()
    empty = tmp_path / "empty"
    empty.mkdir()

    def run(*args: str) -> str:
        done = subprocess.run(
            args, cwd=empty, env=environ, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    found = json.loads(run(str(env_dir / "bin" / "python"), "-c", PROBE))
    assert Path(found["app"]).is_relative_to(env_dir), "the checkout's app/ must not be imported"
    assert found["templates"] == _files(ROOT / "templates")
    assert found["migrations"] == _files(ROOT / "migrations")

    loket = str(env_dir / "bin" / "loket")
    assert "database is up to date" in run(loket, "db", "upgrade")
    assert (empty / "var" / "loket.db").is_file(), "SQLite under the working directory's var/"
    assert "admin@demo.loket.id" in run(loket, "demo")
    _serve_and_fetch(loket, cwd=empty, env=environ)


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy, so that setuptools' build/ and egg-info never touch the checkout."""
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    # As `pip install .` does it (isolated build: setuptools from the index or pip's cache).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = dist.glob("loket-*.whl")
    return wheel


def _install(wheel: Path, env_dir: Path) -> None:
    """A fresh virtualenv with the wheel alone; its dependencies are the test environment's,
    seen through a .pth line (a plain path entry: the editable install's finder, a .pth file
    there, is not run, so the checkout stays out of reach)."""
    venv.create(env_dir, symlinks=True, with_pip=False)
    python = str(env_dir / "bin" / "python")
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site_packages) / "loket-test-dependencies.pth").write_text("\n".join(dependencies))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        timeout=120,
    )


def _clean_environment() -> dict[str, str]:
    """Nothing from the test run: no PYTHONPATH to the checkout, no LOKET_* setting (so the
    embedded SQLite default under the working directory is used)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LOKET_") and key not in ("PYTHONPATH", "PYTHONHOME")
    }
    # The demo accounts' password hashes need not cost what production's do.
    environ.update(LOKET_PASSWORD_TIME_COST="1", LOKET_PASSWORD_MEMORY_KIB="1024")
    return environ


def _serve_and_fetch(loket: str, *, cwd: Path, env: dict[str, str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = cwd / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [loket, "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(server, f"{base}/healthz", log)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        page = httpx.get(f"{base}/login")
        assert page.status_code == 200, log.read_text()
        html = BeautifulSoup(page.text, "html.parser")
        # In Indonesian, the default: the template and the message catalogues both shipped.
        assert html.h1 is not None and html.h1.get_text(strip=True) == "Masuk", page.text
        assert html.select_one("form input[type=password]") is not None, page.text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0, log.read_text()


def _wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"loket serve stopped:\n{log.read_text()}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"loket serve did not answer within 60 s:\n{log.read_text()}")


def _files(folder: Path) -> list[str]:
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
