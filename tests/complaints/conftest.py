"""Complaint fixtures: the test categories loaded, and a helper that drives the real API."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.models import User
from tests.factories import World

CATEGORIES = Path(__file__).parent.parent / "fixtures" / "complaints.yaml"
# Kelurahan Tebet Timur, Kecamatan Tebet, Jakarta Selatan, and a point on its streets.
TEBET_TIMUR = "31.74.01.1001"
POINT = {"lat": -6.2330, "long": 106.8560}


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera make (what phones write)."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraPonsel"  # Make
    exif[0x0131] = "Versi 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    exif[0x8825] = {1: "S", 2: (6.0, 14.0, 38.0), 3: "E", 4: (106.0, 48.0, 2.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@dataclass
class Reports:
    """The complaint API, as residents and officers call it."""

    world: World

    def file(self, user: User | None, *, expect: int = 201, **fields) -> dict:
        body = {
            "category_code": "PJU",
            "description": "Lampu jalan di depan rumah nomor 12 mati sejak tiga hari.",
            "area_code": TEBET_TIMUR,
            **POINT,
        }
        body |= fields
        body = {key: value for key, value in body.items() if value is not None}
        headers = self.world.headers(user) if user is not None else {}
        answer = self.world.client.post("/api/v1/complaints", json=body, headers=headers)
        assert answer.status_code == expect, answer.text
        return answer.json()

    def photo(self, user: User, report: dict, data: bytes, *, name="foto.jpg", expect=201):
        answer = self.world.client.post(
            f"/api/v1/complaints/{report['id']}/photos",
            files={"file": (name, data, "image/jpeg")},
            headers=self.world.headers(user),
        )
        assert answer.status_code == expect, answer.text
        return answer.json()

    def get(self, user: User, report: dict, *, expect: int = 200) -> dict:
        answer = self.world.client.get(
            f"/api/v1/complaints/{report['id']}", headers=self.world.headers(user)
        )
        assert answer.status_code == expect, answer.text
        return answer.json()

    def act(self, user: User, report: dict, action: str, *, expect: int = 200, **extra) -> dict:
        current = self.get(user, report) if "version" not in extra else {}
        body = {"action": action, "version": extra.pop("version", current.get("version"))}
        body |= extra
        answer = self.world.client.post(
            f"/api/v1/complaints/{report['id']}/transitions",
            json=body,
            headers=self.world.headers(user),
        )
        assert answer.status_code == expect, answer.text
        return answer.json()

    def queue(self, user: User, **params) -> list[str]:
        answer = self.world.client.get(
            "/api/v1/complaints", params=params, headers=self.world.headers(user)
        )
        assert answer.status_code == 200, answer.text
        return [item["reference"] for item in answer.json()["items"]]


@pytest.fixture
def reports(world) -> Reports:
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    return Reports(world)
