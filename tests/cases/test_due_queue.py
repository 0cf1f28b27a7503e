"""The officer queue by what is due first (issue 14, item 6): ``?sort=due`` on the API, the
default of the web queue; overdue files at the top, files whose clock does not run after the
rest, and keyset paging that neither repeats nor skips a file across pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from app.db import transaction
from app.models import Case
from app.office import today
from tests.web.pages import sign_in, soup


def _set(world, application: dict, **values) -> None:
    with transaction(world.runtime.engine) as session:
        session.execute(
            update(Case).where(Case.id == uuid.UUID(application["id"])).values(**values)
        )


def _queue(world):
    """Seven files of DINASA: due days set by hand, one paused with the resident, one decided."""
    citizen, officer = world.user("citizen"), world.user("officer")
    files = [world.submitted(citizen) for _ in range(7)]
    day = today()
    # Two share a due day: the order between them is their age, oldest first.
    dues = [day + timedelta(days=3), day - timedelta(days=5), day, day - timedelta(days=1)]
    dues.append(day + timedelta(days=3))
    for application, due in zip(files, dues, strict=False):
        _set(world, application, due_at=due)
    _set(world, files[5], state="revision_requested", due_at=day - timedelta(days=30))
    _set(world, files[6], state="approved", due_at=day - timedelta(days=40))
    expected = [files[i]["reference"] for i in (1, 3, 2, 0, 4)]
    expected += [files[5]["reference"], files[6]["reference"]]  # not running: oldest first
    return officer, expected


def _pages(world, officer, *, limit: int, **params) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {"sort": "due", "limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        answer = world.client.get(
            "/api/v1/applications", params=query, headers=world.headers(officer)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([item["reference"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_the_api_lists_what_is_due_first_across_pages(world):
    officer, expected = _queue(world)
    for limit in (1, 2, 3, 7, 20):
        pages = _pages(world, officer, limit=limit)
        assert [ref for page in pages for ref in page] == expected, limit
        assert all(len(page) <= limit for page in pages)
    # With a filter the order holds: only files still with the authority.
    running = _pages(world, officer, limit=2, state="submitted")
    assert [ref for page in running for ref in page] == expected[:5]
    # The default stays newest first.
    newest = world.client.get("/api/v1/applications", headers=world.headers(officer)).json()
    assert [item["reference"] for item in newest["items"]] == sorted(expected, reverse=True)


def test_bad_sort_and_a_cursor_of_the_other_order_are_clear_4xx(world):
    officer, _ = _queue(world)
    headers = world.headers(officer)
    bad = world.client.get("/api/v1/applications", params={"sort": "oldest"}, headers=headers)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    newest = world.client.get("/api/v1/applications", params={"limit": 2}, headers=headers)
    cursor = newest.json()["next_cursor"]
    mixed = world.client.get(
        "/api/v1/applications", params={"sort": "due", "cursor": cursor}, headers=headers
    )
    assert mixed.status_code == 422, mixed.text
    due = world.client.get(
        "/api/v1/applications", params={"sort": "due", "limit": 2}, headers=headers
    )
    back = world.client.get(
        "/api/v1/applications", params={"cursor": due.json()["next_cursor"]}, headers=headers
    )
    assert back.status_code == 422, back.text


def test_the_web_queue_shows_overdue_files_at_the_top_by_default(world):
    officer, expected = _queue(world)
    sign_in(world.client, officer.email)
    page = soup(world.client.get("/officer"))
    shown = [row["data-reference"] for row in page.select("table.queue tbody tr")]
    assert shown == expected
    assert "overdue" in page.select("table.queue tbody tr")[0]["class"]
    newest = soup(world.client.get("/officer", params={"sort": "new"}))
    shown = [row["data-reference"] for row in newest.select("table.queue tbody tr")]
    assert shown == sorted(expected, reverse=True)


def test_complaints_take_the_same_order(world):
    officer, _ = _queue(world)
    answer = world.client.get(
        "/api/v1/complaints", params={"sort": "due", "limit": 5}, headers=world.headers(officer)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": [], "next_cursor": None}
