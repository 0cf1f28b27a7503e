"""The public statistics page, read the way a person reads it, on the hand-computed fixture."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from tests.stats import fixture

QUARTER = {"from": "2026-01-01", "to": "2026-03-31"}


def _loaded(world):
    citizen = world.user(name="Siti Rahmawati Uji", email="siti.uji@example.id")
    fixture.load(world.runtime, applicant_id=citizen.id)


def _page(world, params=None, **headers):
    response = world.client.get(
        "/stats", params=QUARTER if params is None else params, headers=headers
    )
    return response, BeautifulSoup(response.text, "html.parser")


def _row(soup, code: str) -> dict[str, str]:
    """The service's table row as {column heading: cell text}."""
    table = soup.select_one("table.stats-table")  # the figures; the deadlines' table follows
    headings = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    row = table.select_one(f'tbody tr[data-service="{code}"]')
    assert row is not None
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    return dict(zip(headings, cells, strict=True))


def test_the_page_shows_the_fixture_figures_in_indonesian(world):
    _loaded(world)
    response, soup = _page(world)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert soup.html["lang"] == "id"
    assert soup.h1.get_text(strip=True) == "Statistik layanan"
    simple = _row(soup, "SIMPLE")
    assert (simple["Diterima"], simple["Diputus"]) == ("16", "12")
    assert simple["Median (hari kerja)"] == "2,5"
    assert simple["Persentil ke-90 (hari kerja)"] == "5"
    assert simple["Tepat waktu"] == "83,3 %"
    assert simple["Diminta perbaikan"] == "8,3 %"
    assert simple["SLA (hari kerja)"] == "3"
    for hidden in ("Disetujui", "Ditolak", "Dicabut pemohon", "Masih diproses"):
        assert simple[hidden] == "<10", hidden
    other = _row(soup, "OTHER")
    assert (other["Diterima"], other["Median (hari kerja)"]) == ("0", "–")


def test_the_charts_are_labelled_svgs(world):
    _loaded(world)
    _, soup = _page(world)
    svgs = soup.find_all("svg")
    assert len(svgs) == 3
    for svg in svgs:
        assert svg["role"] == "img"
        assert svg.title.get_text(strip=True) and svg.desc.get_text(strip=True)
    volume, median, within = svgs
    assert "SIMPLE" not in volume.title.text and "per bulan" in volume.title.text
    assert [t.get_text() for t in volume.select("text.chart-label")] == [
        "Jan 26",
        "Feb 26",
        "Mar 26",
    ]
    assert "16" in [t.get_text() for t in volume.select("text.chart-value")]
    assert "2,5" in [t.get_text() for t in median.select("text.chart-value")]
    assert median.select("line.chart-marker")
    assert "83,3 %" in [t.get_text() for t in within.select("text.chart-value")]
    assert "Hari kerja berkas berada di instansi" in soup.get_text()


def test_small_cells_show_as_less_than_ten_in_charts_and_table(world):
    citizen, officer = world.user(), world.user("officer")
    world.in_state("approved", citizen=citizen, officer=officer)  # one application, this month
    response, soup = _page(world, {})
    assert response.status_code == 200, response.text
    assert _row(soup, "SIMPLE")["Diterima"] == "<10"
    volume, median, within = soup.find_all("svg")
    assert volume.select("text.chart-suppressed")[-1].get_text() == "<10"
    assert not volume.select("rect.chart-bar")  # nothing drawn that could be measured
    for svg in (median, within):
        assert "<10" in [t.get_text() for t in svg.select("text.chart-suppressed")]
        assert not svg.select("rect.chart-bar")


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        (QUARTER | {"lang": "en"}, {}),
        (QUARTER, {"Accept-Language": "en-GB,en;q=0.9"}),
        (QUARTER | {"lang": "en"}, {"Accept-Language": "id"}),
    ],
)
def test_english(world, params, headers):
    _loaded(world)
    response, soup = _page(world, params, **headers)
    assert response.status_code == 200
    assert soup.html["lang"] == "en"
    simple = _row(soup, "SIMPLE")
    assert simple["Median (working days)"] == "2.5"
    assert simple["Within SLA"] == "83.3 %"
    assert simple["Approved"] == "<10"
    titles = [svg.title.get_text() for svg in soup.find_all("svg")]
    assert any("per month" in t for t in titles) and any("SLA" in t for t in titles)
    assert "Working days the authority held the file" in soup.get_text()


def test_lang_query_wins_over_the_header(world):
    _, soup = _page(world, QUARTER | {"lang": "id"}, **{"Accept-Language": "en"})
    assert soup.html["lang"] == "id"


@pytest.mark.parametrize(
    ("params", "en_text"),
    [
        ({"from": "2026-03-01", "to": "2026-02-01", "lang": "en"}, "'from' is after 'to'"),
        ({"from": "2026-02-30", "lang": "en"}, "The 'from' date is not valid"),
        ({"from": "1900-01-01", "to": "2026-02-01", "lang": "en"}, "at most 10 years"),
        ({"service": "NOPE", "lang": "en"}, "Unknown service"),
    ],
)
def test_bad_input_re_renders_the_page_with_a_message(world, params, en_text):
    response, soup = _page(world, params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    alert = soup.select_one('[role="alert"]')
    assert alert is not None and en_text in alert.get_text()
    assert soup.find("form") is not None and not soup.find_all("svg")


def test_a_reversed_range_in_indonesian(world):
    response, soup = _page(world, {"from": "2026-03-01", "to": "2026-02-01"})
    assert response.status_code == 422
    assert "Tanggal awal setelah tanggal akhir" in soup.select_one('[role="alert"]').get_text()
    assert soup.find("input", {"name": "from"})["value"] == "2026-03-01"


def test_no_personal_data_on_the_page(world):
    _loaded(world)
    officer = world.user("officer", name="Budi Petugas Uji", email="budi.uji@example.id")
    citizen = world.user(name="Ani Pemohon Uji", email="ani.uji@example.id")
    world.in_state("approved", citizen=citizen, officer=officer)
    for params in (QUARTER, QUARTER | {"lang": "en"}, {}):
        text = world.client.get("/stats", params=params).text
        for personal in ("Siti", "Budi", "Ani Pemohon", "@example", "STAT-"):
            assert personal not in text
        assert not re.search(r"\d{16}", text)
