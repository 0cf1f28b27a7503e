"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when configured),
the app, and small factories for users, services and applications."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import transaction
from app.main import create_app
from app.migrate import upgrade
from app.runtime import Runtime, build_runtime
from tests.databases import drop_database, recreate_database

PG_URL_VARIABLE = "LOKET_TEST_DATABASE_URL"
FIXTURES = Path(__file__).parent / "fixtures"
# Per run, so that two test runs on one server (a developer and CI) never share a template.
TEMPLATE_DB = f"loket_test_template_{os.getpid()}"


def _test_settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        password_time_cost=1,
        password_memory_kib=1024,
        public_base_url="http://testserver",
        db_pool_size=25,
        embedded_dispatcher=False,  # tests drive the dispatcher themselves
        _env_file=None,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file built by the migrations once; each test gets a copy."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.db"
    upgrade(_test_settings(directory, f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(
            f"PostgreSQL tests skipped: set {PG_URL_VARIABLE} "
            "(e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        )
    return url


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url, tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL database built by the migrations once, used as CREATE DATABASE template."""
    recreate_database(postgres_admin_url, TEMPLATE_DB)
    template_url = make_url(postgres_admin_url).set(database=TEMPLATE_DB)
    upgrade(
        _test_settings(
            tmp_path_factory.mktemp("pg"), template_url.render_as_string(hide_password=False)
        )
    )
    yield TEMPLATE_DB
    drop_database(postgres_admin_url, TEMPLATE_DB)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "loket.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = request.getfixturevalue("postgres_template")
    name = f"loket_test_{uuid.uuid4().hex[:12]}"
    recreate_database(admin_url, name, template=template)
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    drop_database(admin_url, name)


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return _test_settings(tmp_path / "data", database_url)


@pytest.fixture
def runtime(settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def app(runtime):
    return create_app(runtime=runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db(runtime) -> Callable:
    """``with db() as session:`` a committed transaction outside any request."""
    return lambda: transaction(runtime.engine)


@pytest.fixture
def world(runtime, client):
    """The test catalogue loaded, plus factories driving the real API."""
    from tests.factories import World, seed_catalogue

    seed_catalogue(runtime)
    return World(runtime=runtime, client=client)
