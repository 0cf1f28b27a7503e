"""The public catalogue."""

from __future__ import annotations


def test_catalogue_lists_active_services_in_the_callers_language(world):
    listing = world.client.get("/api/v1/services", headers={"Accept-Language": "en"}).json()
    assert [s["code"] for s in listing["items"]] == ["OTHER", "SIMPLE", "TWO"]
    simple = world.client.get("/api/v1/services/SIMPLE").json()
    assert simple["name"] == "Layanan Sederhana"  # Indonesian by default
    assert simple["department_code"] == "DINASA" and simple["workflow"] == "single_approval"
    assert simple["form_schema"]["required"] == ["business_name", "employees"]
    assert simple["documents"][0] == {
        "code": "ktp",
        "label": "KTP pemohon",
        "accepted_types": ["application/pdf", "image/jpeg", "image/png"],
        "max_bytes": 1048576,
        "mandatory": True,
    }


def test_unknown_service_is_404_problem(world):
    response = world.client.get("/api/v1/services/NOPE")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
