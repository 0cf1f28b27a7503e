"""Without a mail server, the forgotten-password page sends people to the counter: it promises
no e-mail, and nothing is queued."""

from __future__ import annotations

from sqlmodel import select

from app.models import OutboxMessage, PasswordReset
from tests.web.pages import csrf_of, soup


def test_without_mail_the_page_sends_people_to_the_counter(world, client, db):
    world.user("citizen", email="tanpa@example.id")
    page = soup(client.get("/password/forgot"))
    assert "Datanglah ke loket" in page.find(attrs={"data-testid": "no-mail"}).get_text()
    assert page.find("form", attrs={"action": "/password/forgot"}) is None
    posted = client.post(
        "/password/forgot",
        data={"csrf_token": csrf_of(client.get("/login")), "email": "tanpa@example.id"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    with db() as session:
        assert session.exec(select(OutboxMessage)).all() == []
        assert session.exec(select(PasswordReset)).all() == []
