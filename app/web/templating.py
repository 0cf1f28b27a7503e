"""Jinja2 pages: one environment, autoescape on, the caller's language."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.certificates.issuer import templates_dir

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
JAKARTA = ZoneInfo("Asia/Jakarta")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates_dir())),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["long_date"] = long_date
    return env


def long_date(value: date | datetime | None, lang: str = "id") -> str:
    """"28 November 2026" with the month in the page's language; datetimes in Jakarta time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(JAKARTA).date()
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{value.day} {months[value.month - 1]} {value.year}"


def render_page(request: Request, name: str, context: dict[str, Any], *, lang: str,
                status_code: int = 200) -> HTMLResponse:
    """Render a page with security headers; pages never load anything from elsewhere."""
    html = environment().get_template(name).render(lang=lang, **context)
    return HTMLResponse(html, status_code=status_code, headers={
        "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
                                   "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    })
