"""Jinja2 pages: one environment per language, autoescape on, security headers on every page."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import i18n, resources
from app.office import local_time, office_date
from app.web.i18n import translations

# Pages load nothing from elsewhere and run no inline script or style.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own forms.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=4)
def environment(lang: str = "id") -> Environment:
    """One environment per language, so that gettext is fixed per environment (thread-safe)."""
    env = Environment(
        loader=FileSystemLoader(str(resources.templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    catalogue = translations(lang)
    # Added at runtime by the jinja2.ext.i18n extension (Environment.extend), unknown to mypy.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalogue.gettext, catalogue.ngettext, newstyle=True
    )
    env.filters["long_date"] = long_date
    env.filters["date_time"] = date_time
    env.filters["rupiah"] = rupiah
    return env


def rupiah(amount: int) -> str:
    """ "Rp1.206.000": whole Rupiah with Indonesian thousands dots, in both languages."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def long_date(value: date | datetime | None, lang: str = "id") -> str:
    """ "28 November 2026" with the month in the page's language; datetimes in office time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = office_date(value)
    return i18n.long_date(value, lang)


def date_time(value: datetime | None, lang: str = "id") -> str:
    """ "28 November 2026, 14:05 WIB": a moment as people at the office read it."""
    if value is None:
        return ""
    local = local_time(value)
    return f"{i18n.long_date(local.date(), lang)}, {local:%H:%M} {local.tzname()}"


def render_page(
    request: Request, name: str, context: dict[str, Any], *, lang: str, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the security headers."""
    html = environment(lang).get_template(name).render(lang=lang, request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
