"""Open311 GeoReport v2 under /open311/v2: every endpoint in JSON and XML, the standard's error
arrays and status codes, the api_key of a registered system, paging, and a standard client
(``georeport`` from PyPI) reading a live server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

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
