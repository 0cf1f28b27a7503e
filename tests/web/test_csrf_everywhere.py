"""Every form route of the portals refuses a POST without the CSRF token, before doing anything.

The list of routes comes from the app itself, so a new form route is covered the day it is added.
"""

from __future__ import annotations

import uuid

from app.portal.routes import web_routers
from tests.web.pages import sign_in


def page_post_paths() -> list[str]:
    """Every POST path of the page routers, with made-up values for its path parameters."""
    found = []
    for route in _routes(web_routers()):
        if "POST" not in (getattr(route, "methods", None) or ()):
            continue
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", str(uuid.uuid4()) if "id" in name else "X")
        found.append(path)
    return found


def _routes(routes) -> list:
    """Routes, with those of routers included in a router."""
    flat = []
    for route in routes:
        # A router included in a router (FastAPI keeps the original behind the inclusion).
        nested = getattr(getattr(route, "original_router", route), "routes", None)
        flat.extend(_routes(nested) if nested is not None else [route])
    return flat


def test_every_page_post_needs_the_csrf_token(world, client):
    paths = page_post_paths()
    assert len(paths) >= 20  # login, register, apply, actions, counter, admin forms, ...
    refused_for_csrf = set()
    for role in ("citizen", "officer", "admin"):
        client.cookies.clear()
        sign_in(client, world.user(role).email)
        for path in paths:
            answer = client.post(
                path,
                data={"comment": "x"},
                follow_redirects=False,
                headers={"Accept-Language": "en"},
            )
            assert answer.status_code == 403, (role, path, answer.status_code)
            if "came from another site" in answer.text:
                refused_for_csrf.add(path)
    # Each route refused at least one caller whom it serves for the token, not for the role.
    assert refused_for_csrf == set(paths)
