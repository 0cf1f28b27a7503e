"""A page that catches a refusal and shows the form again takes back what the refused attempt
wrote: nothing half-done is committed with the page's transaction.

The case that showed it: while an upload is being checked, someone else changes the
application (an officer acts, the resident saves the form in another tab). The upload's event
can then no longer be appended (409); before the fix the page caught that, re-rendered, and its
transaction committed the superseded old document and the new row with no event on the
timeline. On PostgreSQL the concurrent change is visible to the upload's UPDATE at once.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from app.cases import timeline
from app.cases.timeline import EventDraft
from app.files import uploads
from app.models import Case, Document, Event
from tests.factories import pdf_bytes
from tests.web.test_citizen_pages import signed_in, start_draft, version_of


def _rows(db, case_id: uuid.UUID):
    with db() as session:
        documents = session.execute(
            select(Document.version, Document.is_current).where(Document.case_id == case_id)
        ).all()
        events = session.execute(select(Event.action).where(Event.case_id == case_id)).all()
    return sorted(documents), [action for (action,) in events]


# PostgreSQL only: on SQLite the upload holds the write lock, so nothing can change meanwhile.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_upload_refused_after_writing_leaves_nothing_behind(world, client, db, monkeypatch):
    citizen = world.user("citizen")
    token = signed_in(client, citizen)
    url = start_draft(client, token)
    case_id = uuid.UUID(url.rsplit("/", 1)[-1])
    first = client.post(
        url + "/documents",
        data={"csrf_token": token, "requirement": "ktp"},
        files={"file": ("ktp.pdf", pdf_bytes("pertama"), "application/pdf")},
        follow_redirects=False,
    )
    assert first.status_code == 303
    before = _rows(db, case_id)
    stored_before = set(world.runtime.files.root.glob("??/*"))

    checked = uploads.inspect_file

    def changed_meanwhile(*args, **kwargs):
        # Another request appends to the application's timeline and commits while this
        # upload's file is being checked.
        with db() as session:
            case = session.get(Case, case_id)
            timeline.append(
                session,
                case=case,
                draft=EventDraft("application.data_updated", "user", str(citizen.id)),
            )
        return checked(*args, **kwargs)

    monkeypatch.setattr("app.cases.documents.inspect_file", changed_meanwhile)
    refused = client.post(
        url + "/documents",
        data={"csrf_token": token, "requirement": "ktp"},
        files={"file": ("ktp.pdf", pdf_bytes("kedua"), "application/pdf")},
        follow_redirects=False,
    )
    assert refused.status_code == 409  # the page says someone acted first
    documents, events = _rows(db, case_id)
    assert documents == before[0]  # the first upload is still the current one, no second row
    assert events == before[1] + ["application.data_updated"]  # only the concurrent change
    stored_after = set(world.runtime.files.root.glob("??/*"))
    assert stored_after == stored_before  # the second file was removed again
    monkeypatch.undo()

    # And the page still works: the resident uploads again and it lands, with its event.
    again = client.post(
        url + "/documents",
        data={"csrf_token": token, "requirement": "ktp"},
        files={"file": ("ktp.pdf", pdf_bytes("kedua"), "application/pdf")},
        follow_redirects=False,
    )
    assert again.status_code == 303
    documents, events = _rows(db, case_id)
    assert documents == [(1, False), (2, True)]
    assert events[-1] == "document.uploaded"


def test_a_refused_save_stores_nothing(world, client, db):
    citizen = world.user("citizen")
    token = signed_in(client, citizen)
    url = start_draft(client, token)
    case_id = uuid.UUID(url.rsplit("/", 1)[-1])
    stale = version_of(client, url + "/edit")
    with db() as session:  # someone else moves the application on first
        session.execute(update(Case).where(Case.id == case_id).values(version=Case.version + 1))
    refused = client.post(
        url + "/data",
        data={"csrf_token": token, "version": stale, "data.business_name": "Warung Baru"},
    )
    assert refused.status_code == 409
    with db() as session:
        assert "business_name" not in session.get(Case, case_id).data
