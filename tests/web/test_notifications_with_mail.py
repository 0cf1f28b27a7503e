"""Where the deployment sends e-mail, the submission notice promises one (and the notification
is written all the same)."""

from __future__ import annotations

import pytest

from tests.web.pages import sign_in, soup


@pytest.fixture
def settings(settings):
    # An SMTP host makes events queue their e-mail (nothing is delivered: no dispatcher runs).
    return settings.model_copy(update={"smtp_host": "127.0.0.1"})


def test_with_mail_the_submission_notice_promises_an_email(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    assert sign_in(client, citizen.email).status_code == 303
    application = world.submitted(citizen)
    page = client.get(f"/my/applications/{application['id']}?done=submit")
    notice = soup(page).find(attrs={"data-testid": "submitted-notice"}).get_text()
    assert "surel" in notice
    world.act(officer, application, "start_review")
    world.act(officer, application, "reject", comment="Bukan wewenang dinas ini")
    count = soup(client.get("/services")).find(attrs={"data-testid": "unread-count"})
    assert count is not None and count.get_text() == "1"
