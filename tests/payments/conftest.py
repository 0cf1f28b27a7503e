"""The payments tests' catalogue: the shared test catalogue plus a service with a levy."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction

FEE_CATALOGUE = Path(__file__).parent / "catalogue.yaml"


@pytest.fixture
def fee_world(world):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(FEE_CATALOGUE))
    return world
