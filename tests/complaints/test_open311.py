"""Open311 GeoReport v2 under /open311/v2: every endpoint in JSON and XML, the standard's error
arrays and status codes, the api_key of a registered system, paging, and a standard client
(``georeport`` from PyPI) reading a live server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import requests
from georeport import GeoReport
from sqlalchemy import select

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.main import create_app
from app.models import Case, Complaint, Event
from app.oauth.clients import create_client
from app.runtime import build_runtime
from tests.complaints.conftest import CATEGORIES, POINT, TEBET_TIMUR
from tests.live import free_port, serving

BASE = "/open311/v2"
EN = {"Accept-Language": "en"}


def xml_of(answer) -> ET.Element:
    assert answer.headers["content-type"].startswith("text/xml"), answer.headers
    return ET.fromstring(answer.content)


def test_discovery_names_the_endpoint_and_both_formats(reports):
    client = reports.world.client
    body = client.get(f"{BASE}/discovery.json", headers=EN).json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert body["changeset"].endswith("Z") and "--open311" in body["key_service"]
    root = xml_of(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_services_are_the_active_categories_with_their_department(reports):
    client = reports.world.client
    services = client.get(f"{BASE}/services.json", headers=EN).json()
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"BANJIR", "PJU", "PKL"}
    light = by_code["PJU"]
    assert light["service_name"] == "Street light out" and light["type"] == "realtime"
    assert light["metadata"] is True and light["group"] == "Dinas Bina Marga"
    assert by_code["PKL"]["metadata"] is False
    root = xml_of(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = {s.findtext("service_code") for s in root.findall("service")}
    assert codes == {"BANJIR", "PJU", "PKL"}
    light_xml = root.find("service[service_code='PJU']")
    assert light_xml.findtext("metadata") == "true"
    assert light_xml.findtext("service_name") == "Lampu penerangan jalan mati"


def test_a_service_definition_lists_the_category_questions_as_attributes(reports):
    client = reports.world.client
    flooding = client.get(f"{BASE}/services/BANJIR.json", headers=EN).json()
    assert flooding["service_code"] == "BANJIR"
    (depth,) = flooding["attributes"]
    assert depth["code"] == "depth" and depth["required"] is True and depth["variable"] is True
    assert depth["datatype"] == "singlevaluelist" and depth["order"] == 1
    assert depth["description"] == "Depth"
    assert [v["key"] for v in depth["values"]] == ["low", "high"]
    light = client.get(f"{BASE}/services/PJU.json", headers=EN).json()
    assert light["attributes"][0]["datatype"] == "string"
    assert light["attributes"][0]["required"] is False
    root = xml_of(client.get(f"{BASE}/services/BANJIR.xml"))
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value/key")
    assert [v.text for v in values] == ["low", "high"]
    assert client.get(f"{BASE}/services/PKL.json").json()["attributes"] == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_jurisdiction_and_format_are_the_standard_errors(reports, fmt):
    client = reports.world.client
    unknown = client.get(f"{BASE}/services/NOPE.{fmt}", headers=EN)
    assert unknown.status_code == 404
    if fmt == "json":
        assert unknown.headers["content-type"].startswith("application/json")
        [error] = unknown.json()
        assert error["code"] == 404 and "NOPE" in error["description"]
    else:
        root = xml_of(unknown)
        assert root.tag == "errors" and root.findtext("error/code") == "404"
    elsewhere = client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "bandung.go.id"})
    assert elsewhere.status_code == 404
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=jakarta.go.id").status_code == 200
    nowhere = client.get(f"{BASE}/nothing.{fmt}")
    assert nowhere.status_code == 404


def test_a_format_other_than_json_or_xml_is_a_400_array(reports):
    answer = reports.world.client.get(f"{BASE}/services.csv")
    assert answer.status_code == 400
    [error] = answer.json()
    assert error["code"] == 400 and "json" in error["description"]


# --- POST requests ------------------------------------------------------------------------------


def make_key(runtime, *, name="Aplikasi JAKI", scopes="complaints:read") -> tuple[str, str]:
    """A registered system with an Open311 api_key: (client_id, api_key)."""
    with transaction(runtime.engine) as session:
        created = create_client(
            session, passwords=runtime.passwords, name=name, scopes=scopes.split(), open311=True
        )
    assert created.open311_key and "complaints:write" in created.client.scopes
    return created.client.client_id, created.open311_key


@pytest.fixture
def system(reports) -> tuple[str, str]:
    return make_key(reports.world.runtime)


def report_form(api_key: str | None, **fields) -> dict:
    form = {
        "service_code": "BANJIR",
        "lat": str(POINT["lat"]),
        "long": str(POINT["long"]),
        "address_string": "Jl. Tebet Raya 12",
        "address_id": TEBET_TIMUR,
        "description": "Genangan setinggi lutut di depan sekolah.",
        "attribute[depth]": "high",
        "email": "warga@example.id",
        "first_name": "Siti",
        "last_name": "Aminah",
        "phone": "0812 3456 7890",
        "device_id": "ponsel-1",
        "media_url": "https://example.org/foto.jpg",
        **({"api_key": api_key} if api_key is not None else {}),
    }
    form |= fields
    return {key: value for key, value in form.items() if value is not None}


def post(client, fmt: str, form: dict, lang: str = "en"):
    return client.post(f"{BASE}/requests.{fmt}", data=form, headers={"Accept-Language": lang})


def test_a_system_files_a_report_with_its_api_key_in_json(reports, system):
    client_id, key = system
    answer = post(reports.world.client, "json", report_form(key))
    assert answer.status_code == 201, answer.text
    [filed] = answer.json()
    assert filed["service_request_id"].startswith("LPR-") and filed["account_id"] is None
    assert "first response due by" in filed["service_notice"]
    with transaction(reports.world.runtime.engine, write=False) as session:
        case = session.execute(
            select(Case).where(Case.reference == filed["service_request_id"])
        ).scalar_one()
        complaint = session.get(Complaint, case.id)
        first = session.execute(select(Event).where(Event.case_id == case.id)).scalar_one()
    assert case.created_by_client == client_id and case.owner_id is None
    assert case.subject_code == "BANJIR" and case.data == {"depth": "high"}
    assert complaint.contact_email == "warga@example.id"
    assert complaint.contact_name == "Siti Aminah"
    assert complaint.contact_phone == "0812 3456 7890"
    assert complaint.address == "Jl. Tebet Raya 12" and complaint.area_code == TEBET_TIMUR
    assert first.actor_type == "client" and first.actor_id == client_id


def test_a_report_answers_in_xml_too(reports, system):
    _, key = system
    answer = post(reports.world.client, "xml", report_form(key, **{"attribute[depth]": "low"}))
    assert answer.status_code == 201, answer.text
    root = xml_of(answer)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id").startswith("LPR-")
    assert root.find("request/account_id").text is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_and_wrong_api_keys_are_403_and_write_nothing(reports, system, fmt):
    client = reports.world.client
    for key in (None, "", "o311_not-a-key", "x" * 500):
        answer = post(client, fmt, report_form(key))
        assert answer.status_code == 403, (key, answer.text)
        if fmt == "json":
            assert answer.json()[0]["code"] == 403
        else:
            assert xml_of(answer).findtext("error/code") == "403"
    with transaction(reports.world.runtime.engine, write=False) as session:
        assert session.execute(select(Case)).first() is None


def test_a_disabled_system_key_stops_working(reports, system):
    from app.oauth.clients import set_active

    client_id, key = system
    with transaction(reports.world.runtime.engine) as session:
        set_active(session, client_id=client_id, active=False)
    assert post(reports.world.client, "json", report_form(key)).status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "named"),
    [
        ({"service_code": "NOPE"}, 404, "NOPE"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": "-7.8", "long": "110.36"}, 400, "outside Jakarta"),  # Yogyakarta
        ({"lat": "abc"}, 400, "lat"),
        ({"lat": "nan"}, 400, "lat"),
        ({"long": None}, 400, "lat"),
        ({"lat": None, "long": None, "address_id": None}, 400, "address_id"),
        ({"address_id": "31.99.99.9999"}, 400, "address_id"),
        ({"description": None}, 400, "description"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"attribute[depth]": "deep"}, 400, "attribute[depth]"),
        ({"attribute[depth]": None}, 400, "attribute[depth]"),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
        ({"email": None, "phone": None}, 400, "email"),
        ({"email": "not an address"}, 400, "email"),
        ({"jurisdiction_id": "bandung.go.id"}, 404, "bandung"),
    ],
)
def test_bad_reports_are_refused_with_the_field_named(reports, system, fields, status, named):
    _, key = system
    answer = post(reports.world.client, "json", report_form(key, **fields))
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert all(error["code"] == status for error in body)
    assert any(named in error["description"] for error in body), body
    with transaction(reports.world.runtime.engine, write=False) as session:
        assert session.execute(select(Case)).first() is None


def test_reports_per_key_are_limited_per_hour_counting_refused_ones(reports, system, monkeypatch):
    _, key = system
    settings = reports.world.runtime.settings
    monkeypatch.setattr(settings, "open311_reports_per_hour", 2)
    client = reports.world.client
    assert post(client, "json", report_form(key)).status_code == 201
    assert post(client, "json", report_form(key, description=None)).status_code == 400
    refused = post(client, "xml", report_form(key))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert xml_of(refused).findtext("error/code") == "429"
    _, other = make_key(reports.world.runtime, name="Sistem Lain")
    assert post(client, "json", report_form(other)).status_code == 201


def test_the_cli_prints_the_api_key_once(settings, monkeypatch):
    import json

    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    args = ["clients", "create", "--name", "FixMyStreet", "--scopes", "complaints:read"]
    created = runner.invoke(cli, [*args, "--open311", "--json"])
    assert created.exit_code == 0, created.output
    fields = json.loads(created.output)
    assert fields["open311_key"].startswith("o311_") and "complaints:write" in fields["scopes"]
    listed = runner.invoke(cli, ["clients", "list"])
    assert fields["open311_key"] not in listed.output
    plain = runner.invoke(cli, [*args, "--open311"])
    assert "open311_key" in plain.output and "api_key are shown only now" in plain.output
    refused = runner.invoke(
        cli,
        [*args, "--open311", "--grant", "authorization_code", "--redirect-uri", "https://a.id/cb"],
    )
    assert refused.exit_code == 1 and "--open311" in refused.output


# --- GET requests, requests/{id}, servicerequestupdates -----------------------------------------


def get(client, path: str, **params):
    return client.get(f"{BASE}/{path}", params=params, headers=EN)


@pytest.fixture
def filed(reports):
    """A street light (exact place public) declined, a flood (rounded) and a private vendor
    report, filed by residents through the JSON API."""
    world = reports.world
    resident = world.user("citizen", name="Budi Santoso", email="budi@example.id")
    officer = world.user("officer", department="DBM")
    light = reports.file(resident, data={"pole_number": "PJU-7"}, lat=-6.23456, long=106.85678)
    flood = reports.file(
        resident,
        category_code="BANJIR",
        data={"depth": "high"},
        lat=-6.23456,
        long=106.85678,
        address="Depan rumah Budi, Jl. Tebet Raya 12",
    )
    vendor = reports.file(resident, category_code="PKL")
    reports.act(officer, light, "decline", comment="Lampu milik pengelola gedung, bukan kota.")
    return {"light": light, "flood": flood, "vendor": vendor, "resident": resident}


def test_requests_list_public_reports_with_status_sla_and_agency(reports, filed):
    client = reports.world.client
    answer = get(client, "requests.json")
    assert answer.status_code == 200
    items = answer.json()
    ids = [item["service_request_id"] for item in items]
    # Newest first; the vendor report is not public.
    assert ids == [filed["flood"]["reference"], filed["light"]["reference"]]
    flood, light = items
    assert flood["status"] == "open" and light["status"] == "closed"
    assert light["status_notes"] == "Not the city's responsibility"
    assert flood["agency_responsible"] == "Dinas Sumber Daya Air"
    assert light["agency_responsible"] == "Dinas Bina Marga"
    assert flood["service_name"] == "Flooding" and flood["service_code"] == "BANJIR"
    for item in items:
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert item[key].endswith("Z") and "+" not in item[key], item[key]
    assert flood["expected_datetime"] > flood["requested_datetime"]
    # A point is exact only where the category allows; the typed address goes with it.
    assert (light["lat"], light["long"]) == (-6.23456, 106.85678)
    assert (flood["lat"], flood["long"]) == (-6.235, 106.857)
    assert flood["address"] == "Tebet Timur" and flood["address_id"] == TEBET_TIMUR
    assert flood["zipcode"]
    text = answer.text
    for personal in ("Budi", "budi@example.id", str(filed["resident"].id)):
        assert personal not in text


def test_requests_in_xml_are_one_element_per_request(reports, filed):
    root = xml_of(reports.world.client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    found = root.findall("request")
    assert [r.findtext("service_request_id") for r in found] == [
        filed["flood"]["reference"],
        filed["light"]["reference"],
    ]
    assert found[0].findtext("lat") == "-6.235"
    assert found[0].find("media_url").text is None
    assert found[0].findtext("status_notes") == "Dilaporkan"


def test_requests_filter_by_id_service_status_and_dates(reports, filed):
    client = reports.world.client
    flood, light = filed["flood"]["reference"], filed["light"]["reference"]

    def ids(**params) -> list[str]:
        answer = get(client, "requests.json", **params)
        assert answer.status_code == 200, answer.text
        return [item["service_request_id"] for item in answer.json()]

    assert ids(service_request_id=f"{light},{filed['vendor']['reference']}") == [light]
    # The ids override every other parameter.
    assert ids(service_request_id=light.lower(), service_code="BANJIR", status="open") == [light]
    assert ids(service_code="BANJIR") == [flood]
    assert ids(service_code="BANJIR,PJU") == [flood, light]
    assert ids(status="closed") == [light]
    assert ids(status="open") == [flood]
    assert ids(status="open,closed") == [flood, light]
    assert ids(start_date="2001-01-01T00:00:00Z", end_date="2001-03-01T00:00:00Z") == []
    now = datetime.now(UTC)
    assert ids(start_date=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) == [
        flood,
        light,
    ]
    assert ids(end_date=(now - timedelta(days=1)).isoformat()) == []


def test_requests_come_in_pages(reports, filed):
    client = reports.world.client
    first = get(client, "requests.json", page_size=1).json()
    second = get(client, "requests.json", page_size=1, page=2).json()
    third = get(client, "requests.json", page_size=1, page=3).json()
    assert [r["service_request_id"] for r in first + second] == [
        filed["flood"]["reference"],
        filed["light"]["reference"],
    ]
    assert third == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"status": "pending"}, "status"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
    ],
)
def test_bad_request_queries_are_400_arrays(reports, params, named):
    client = reports.world.client
    answer = client.get(f"{BASE}/requests.json", params=params, headers=EN)
    assert answer.status_code == 400, answer.text
    [error] = answer.json()
    assert error["code"] == 400 and named in error["description"], error
    root = xml_of(client.get(f"{BASE}/requests.xml", params=params, headers=EN))
    assert root.findtext("error/code") == "400" and named in root.findtext("error/description")


def test_one_request_is_an_array_of_one(reports, filed):
    client = reports.world.client
    flood = filed["flood"]["reference"]
    [one] = get(client, f"requests/{flood}.json").json()
    assert one["service_request_id"] == flood and one["status"] == "open"
    root = xml_of(client.get(f"{BASE}/requests/{flood}.xml"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [flood]
    for missing in (filed["vendor"]["reference"], "LPR-2026-9999999"):
        for fmt in ("json", "xml"):
            answer = client.get(f"{BASE}/requests/{missing}.{fmt}")
            assert answer.status_code == 404, missing


def test_updates_follow_each_public_step_with_mysociety_statuses(reports, filed):
    client = reports.world.client
    updates = get(client, "servicerequestupdates.json").json()
    light, flood = filed["light"]["reference"], filed["flood"]["reference"]
    steps = [(u["service_request_id"], u["status"], u["external_status_code"]) for u in updates]
    assert steps == [
        (light, "open", "submitted"),
        (flood, "open", "submitted"),
        (light, "not_councils_responsibility", "declined"),
    ]
    declined = updates[-1]
    assert declined["description"] == "Not the city's responsibility"
    assert "gedung" not in client.get(f"{BASE}/servicerequestupdates.json").text
    assert declined["updated_datetime"].endswith("Z") and declined["update_id"]
    root = xml_of(client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert len(root.findall("request_update")) == 3
    paged = get(client, "servicerequestupdates.json", page=2, page_size=2).json()
    assert [u["update_id"] for u in paged] == [declined["update_id"]]
    old = get(
        client,
        "servicerequestupdates.json",
        start_date="2001-01-01T00:00:00Z",
        end_date="2001-01-02T00:00:00Z",
    )
    assert old.json() == []
    bad = get(client, "servicerequestupdates.json", end_date="soon")
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


def test_a_report_filed_over_open311_reads_back_without_its_contact(reports, system):
    _, key = system
    [filed] = post(reports.world.client, "json", report_form(key)).json()
    [read] = get(reports.world.client, f"requests/{filed['service_request_id']}.json").json()
    assert read["description"] == "Genangan setinggi lutut di depan sekolah."
    text = get(reports.world.client, "requests.json").text
    for personal in ("Siti", "Aminah", "warga@example.id", "3456"):
        assert personal not in text


# --- a standard client against a live server ----------------------------------------------------


@pytest.fixture
def live_open311(settings):
    """The app on a real port with the test categories, as other cities' systems reach it."""
    port = free_port()
    live = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    runtime = build_runtime(live)
    with transaction(runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    with serving(create_app(runtime=runtime), port) as base:
        yield runtime, f"{base}{BASE}"
    runtime.engine.dispose()


def test_the_georeport_client_reads_what_a_system_filed(live_open311):
    runtime, base = live_open311
    _, key = make_key(runtime)
    # georeport 0.3.1 only reads: the report goes in as any system posts a form.
    posted = httpx.post(f"{base}/requests.json", data=report_form(key), timeout=10)
    assert posted.status_code == 201, posted.text
    reference = posted.json()[0]["service_request_id"]

    for output in ("json", "xml"):
        city = GeoReport(base, jurisdiction="jakarta.go.id", output_format=output)
        services = city.get_service_list()
        assert {s["service_code"] for s in services} == {"BANJIR", "PJU", "PKL"}
        definition = city.get_service_definition("BANJIR")
        attributes = definition["attributes"]
        if output == "xml":  # xmltodict: one <attribute> is a dict, not a list of one
            attributes = [attributes["attribute"]]
        assert attributes[0]["code"] == "depth"
        one = city.get_service_request(reference)
        assert one["service_request_id"] == reference and one["status"] == "open"
        assert one["agency_responsible"] == "Dinas Sumber Daya Air"
        listed = city.get_service_requests(service_code="BANJIR", status="open")
        if output == "xml":
            listed = [listed] if isinstance(listed, dict) else listed
        assert [r["service_request_id"] for r in listed] == [reference]
        assert city.get_service_requests(service_request_id=reference)
    with pytest.raises(requests.HTTPError) as refused:
        GeoReport(base).get_service_definition("NOPE")
    assert refused.value.response.status_code == 404
    assert refused.value.response.json()[0]["code"] == 404
