"""Helpers for the tests of apps acting for residents: register an app, run the code flow
through the portal's pages as a browser would (session cookie, CSRF token, consent form)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from app.db import transaction
from app.oauth.clients import NewClient, create_app_client
from tests.web.pages import sign_in, soup

REDIRECT_URI = "https://app.example.id/callback"
APP_SCOPES = ("openid", "profile", "applications:read", "applications:write", "certificates:read")


def register_app(runtime, *, public: bool = False, scopes=APP_SCOPES, **extra) -> NewClient:
    with transaction(runtime.engine) as session:
        return create_app_client(
            session,
            passwords=runtime.passwords,
            name=extra.pop("name", "Aplikasi Kota"),
            operator=extra.pop("operator", "PT Kota Digital"),
            redirect_uris=extra.pop("redirect_uris", [REDIRECT_URI]),
            scopes=scopes,
            public=public,
            **extra,
        )


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def authorize_params(app: NewClient, pkce: Pkce, **overrides) -> dict:
    params = {
        "response_type": "code",
        "client_id": app.client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid applications:read",
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def authorize_url(params: dict) -> str:
    return f"/oauth/authorize?{urlencode(params)}"


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def consent_form(response) -> tuple[dict, list[str]]:
    """The consent form's hidden fields and the scopes it offers."""
    form = soup(response).find("form", attrs={"action": "/oauth/consent"})
    assert form is not None, response.text
    hidden = {
        field["name"]: field["value"] for field in form.find_all("input", attrs={"type": "hidden"})
    }
    offered = [box["value"] for box in form.find_all("input", attrs={"name": "granted"})]
    return hidden, offered


def consent(client, response, *, granted=None, decision="approve"):
    hidden, offered = consent_form(response)
    data = {**hidden, "decision": decision, "granted": offered if granted is None else granted}
    return client.post("/oauth/consent", data=data, follow_redirects=False)


def get_code(client, user_email: str, app: NewClient, pkce: Pkce, **overrides) -> dict:
    """Sign in, authorize, consent to everything; the redirect's query (code, state, iss)."""
    params = authorize_params(app, pkce, **overrides)
    assert sign_in(client, user_email).status_code == 303
    page = client.get(authorize_url(params), follow_redirects=False)
    if page.status_code == 200:
        page = consent(client, page)
    assert page.status_code == 303, page.text
    assert page.headers["location"].startswith(params.get("redirect_uri", REDIRECT_URI) + "?")
    return query_of(page.headers["location"])


def exchange(client, app: NewClient, code: str, verifier: str | None, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_id": app.client.client_id,
        **overrides,
    }
    auth = (app.client.client_id, app.secret) if app.secret else None
    return client.post(
        "/oauth/token", data={k: v for k, v in data.items() if v is not None}, auth=auth
    )
