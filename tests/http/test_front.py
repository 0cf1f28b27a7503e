"""The front of every HTTP request (app.http.front): default headers and the body cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.http.front import HttpFront

# --- the body cap --------------------------------------------------------------------------------

LIMIT = 100


async def echo_length(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"received": len(body)})


def limited_app() -> HttpFront:
    app = Starlette(routes=[Route("/upload", echo_length, methods=["POST"])])
    return HttpFront(app, max_body_bytes=LIMIT)


def post(content, headers=None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=limited_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://loket") as client:
            return await client.post("/upload", content=content, headers=headers)

    return asyncio.run(go())


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


def assert_problem_413(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:loket:problem:payload-too-large"
    assert problem["status"] == 413
    assert problem["title"] and problem["detail"]


def test_body_under_limit_passes():
    assert post(b"x" * LIMIT).json() == {"received": LIMIT}
    assert post(chunks(4, 25)).json() == {"received": LIMIT}


def test_declared_content_length_over_limit_is_413_in_english_on_request():
    response = post(b"x" * (LIMIT + 1), headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert_problem_413(response)
    assert response.json()["detail"] == "The request body exceeds the 0.000095 MB limit."
    assert response.json()["title"] == "File or request too large"


def test_chunked_body_over_limit_is_413():
    response = post(chunks(5, 30))
    assert_problem_413(response)
    assert response.json()["title"] == "Berkas atau permintaan terlalu besar"


def raw_call(app, scope_headers, messages):
    """Drive the middleware directly; return (sent messages, number of receive calls)."""
    sent, calls = [], 0

    async def receive():
        nonlocal calls
        calls += 1
        return messages[calls - 1]

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": scope_headers}
    asyncio.run(app(scope, receive, send))
    return sent, calls


def test_content_length_over_limit_answers_without_reading_body():
    headers = [(b"content-length", b"999999999")]
    sent, calls = raw_call(limited_app(), headers, [])
    assert calls == 0
    assert sent[0]["status"] == 413


def test_streamed_body_stops_being_read_once_over_limit():
    messages = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 10
    sent, calls = raw_call(limited_app(), [], messages)
    assert calls == 2  # 60 bytes, then 120 > 100: nothing more is read
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"50"), (b"content-length", b"50")],
        [(b"content-length", b"5_0")],
        [(b"content-length", b"50"), (b"transfer-encoding", b"chunked")],
    ],
    ids=["repeated", "malformed", "chunked"],
)
def test_a_length_the_server_may_not_hold_the_body_to_is_counted(headers):
    messages = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 10
    sent, calls = raw_call(limited_app(), headers, messages)
    assert calls == 2
    assert sent[0]["status"] == 413


def test_non_http_scopes_pass_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    middleware = HttpFront(app, max_body_bytes=1)
    asyncio.run(middleware({"type": "websocket"}, None, None))
    assert seen == ["websocket"]


def test_413_carries_the_default_headers():
    response = post(b"x" * (LIMIT + 1))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


# --- default headers -----------------------------------------------------------------------------


async def plain(request: Request) -> Response:
    return Response("ok")


async def cached(request: Request) -> Response:
    return Response("ok", headers={"Cache-Control": "public, max-age=60"})


async def own_headers(request: Request) -> Response:
    return Response("ok", headers={"Cache-Control": "private", "X-Content-Type-Options": "nosniff"})


def get(path: str) -> httpx.Response:
    routes = [Route("/plain", plain), Route("/cached", cached), Route("/own", own_headers)]
    front = HttpFront(Starlette(routes=routes), max_body_bytes=LIMIT)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=front)
        async with httpx.AsyncClient(transport=transport, base_url="http://loket") as client:
            return await client.get(path)

    return asyncio.run(go())


def test_a_response_without_caching_gets_nosniff_and_no_store():
    response = get("/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_a_response_that_chose_its_caching_keeps_it():
    response = get("/cached")
    assert response.headers.get_list("cache-control") == ["public, max-age=60"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_headers_a_response_sets_itself_are_not_doubled():
    response = get("/own")
    assert response.headers.get_list("cache-control") == ["private"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
