"""HTTP-level helpers for page tests: read forms and CSRF tokens the way a browser would."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.factories import PASSWORD


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf_of(response) -> str:
    field = soup(response).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "the page has no form with a CSRF token"
    return field["value"]


def sign_in(client, email: str, password: str = PASSWORD, next_url: str = ""):
    """Sign in through the login form; returns the answer to the POST (a 303 on success)."""
    token = csrf_of(client.get("/login"))
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": next_url},
        follow_redirects=False,
    )


def post_form(client, path: str, data: dict, *, csrf_from: str | None = None, **kwargs):
    """POST a form with the CSRF token of the page at ``csrf_from`` (default: ``path``)."""
    token = csrf_of(client.get(csrf_from or path))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False, **kwargs)
