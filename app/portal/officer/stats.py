"""The officer's view of the public statistics: their own department's figures, and what is
overdue there right now (the one list here that names files, for the office's eyes only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.accounts.principal import Principal
from app.accounts.staff import department_of
from app.applications import service as applications
from app.cases import queue
from app.db import Session
from app.http.deps import Fresh, SessionDep
from app.office import today as today_at_office
from app.portal.public.stats import cell, complaint_rows
from app.stats import service as stats
from app.stats.complaints import service as complaint_stats
from app.stats.figures import DEADLINE_COUNTS, PERCENT_FIGURES, TABLE_FIGURES
from app.web.context import OfficerDep
from app.web.pages import page
from app.web.wording import state_label

router = APIRouter(include_in_schema=False)

# Figures shown per service and for the department: the public page's, and the certificates.
FIGURES = (*TABLE_FIGURES, "certificates_issued", "certificates_revoked")
SHOWN = (*FIGURES, *DEADLINE_COUNTS)


@router.get("/officer/stats", response_class=HTMLResponse, dependencies=[Fresh])
def stats_page(web: OfficerDep, session: SessionDep) -> HTMLResponse:
    return page(
        web, "officer/stats.html", stats_view(session, principal=web.principal, lang=web.lang)
    )


def stats_view(session: Session, *, principal: Principal, lang: str) -> dict[str, Any]:
    """The public figures (same suppression) for the officer's department, plus overdue files."""
    department = department_of(session, principal=principal)
    today = today_at_office()
    period = stats.parse_period(start=None, end=None, today=today)
    services = [
        item
        for item in stats.service_stats(session, period=period, today=today)["services"]
        if item["department_code"] == department.code
    ]
    totals = [
        item
        for item in stats.department_stats(session, period=period, today=today)["departments"]
        if item["department_code"] == department.code
    ]
    overdue = applications.list_applications(
        session, principal=principal, query=queue.ListQuery(overdue=True, limit=queue.MAX_LIMIT)
    )
    complaints = complaint_stats.complaint_stats(session, period=period)
    categories, complaint_total = complaint_stats.for_department(complaints, department.code)
    return {
        "complaint_figures": complaint_stats.FIGURES,
        "complaint_categories": complaint_rows(categories, lang),
        "complaint_total": complaint_rows([complaint_total], lang)[0] if complaint_total else None,
        "department": department,
        "period": period,
        "figures": FIGURES,
        "deadline_figures": DEADLINE_COUNTS,
        "services": [
            _row(item, item["service_name"]["en" if lang == "en" else "id"], lang)
            for item in services
        ],
        "total": _row(totals[0], department.name, lang) if totals else None,
        "overdue": [
            (item, state_label(item.workflow, item.state, lang, officer=True))
            for item in overdue.items
        ],
        "overdue_more": overdue.next_cursor is not None,
    }


def _row(item: dict, name: str, lang: str) -> dict[str, Any]:
    values = {}
    for figure in SHOWN:
        text = cell(item, figure, lang)
        percent = figure in PERCENT_FIGURES and item.get(figure) is not None
        values[figure] = text + " %" if percent else text
    return {"name": name, "code": item.get("service_code", ""), "values": values}
