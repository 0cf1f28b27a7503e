"""The public statistics page: the JSON API's figures, as a page with charts and a table."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.catalogue import service as catalogue
from app.errors import DomainError, Msg
from app.http.deps import Fresh, SessionDep
from app.i18n import MONTHS_EN, MONTHS_ID, SUPPORTED
from app.office import today as today_at_office
from app.stats import charts, service
from app.stats.complaints import service as complaint_stats
from app.stats.figures import DEADLINE_COUNTS, MIN_CELL, PERCENT_FIGURES, RATES, TABLE_FIGURES
from app.web.context import WebDep
from app.web.pages import page

router = APIRouter(tags=["statistics"], include_in_schema=False)
SUPPRESSED = "<10"
NONE = "–"
TextQuery = Annotated[str | None, Query()]

# Labels whose English id already has another Indonesian wording in another area's catalogue
# (admin "To" = "Ke", officer "Withdrawn"/"Open now"); one catalogue holds one wording per id,
# so this page keeps its own wording here.
LABELS = {
    "to": Msg("Sampai", "To"),
    "withdrawn": Msg("Dicabut pemohon", "Withdrawn"),
    "open_now": Msg("Masih diproses", "Open now"),
}


class PageInputError(Exception):
    """Input the page cannot use; re-rendered as the page with ``messages`` and 422."""

    def __init__(self, messages: list[Msg]) -> None:
        super().__init__(messages)
        self.messages = messages


def query_language(lang: str | None) -> str | None:
    """``?lang=`` when it names a supported language (links shared before the header's switch)."""
    if lang and lang.strip().lower() in SUPPORTED:
        return lang.strip().lower()
    return None


def _parse_day(name: str, raw: str | None) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip()[:32])
    except ValueError:
        raise PageInputError(
            [
                Msg(
                    f"Tanggal '{name}' tidak valid (format TTTT-BB-HH)",
                    f"The '{name}' date is not valid (format YYYY-MM-DD)",
                )
            ]
        ) from None


@router.get("/stats", response_class=HTMLResponse, dependencies=[Fresh])
def stats_page(
    web: WebDep,
    session: SessionDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    service_code: Annotated[str | None, Query(alias="service")] = None,
    lang: TextQuery = None,
) -> HTMLResponse:
    chosen = query_language(lang)
    if chosen:  # an explicit ?lang= wins over the switch's cookie for this request
        web.lang = chosen
    language = web.lang
    form = {"from": start or "", "to": end or "", "service": service_code or ""}
    context: dict = {
        "form": form,
        "lang_param": chosen,
        "labels": {key: label.in_lang(language) for key, label in LABELS.items()},
        "min_cell": MIN_CELL,
    }
    try:
        context |= _figures(session, start=start, end=end, service_code=service_code, lang=language)
    except PageInputError as error:
        messages = [m.in_lang(language) for m in error.messages]
        return page(web, "public/stats.html", context | {"errors": messages}, status_code=422)
    return page(web, "public/stats.html", context)


def _figures(
    session, *, start: str | None, end: str | None, service_code: str | None, lang: str
) -> dict:
    """Everything the page shows, from the same service functions as the JSON API."""
    today = today_at_office()
    first, last = _parse_day("from", start), _parse_day("to", end)
    try:
        period = service.parse_period(start=first, end=last, today=today)
        services = service.service_stats(session, period=period, today=today)["services"]
        departments = service.department_stats(session, period=period, today=today)
        sla = {s.code: s.sla_days for s in catalogue.list_services(session, lang=lang).items}
        code = _chart_service(services, service_code)
        series_end = last or today
        series_start = first or service.default_series_start(series_end)
        series_period = service.parse_period(start=series_start, end=series_end, today=today)
        series = (
            service.timeseries(session, service_code=code, interval="month", period=series_period)
            if code
            else None
        )
    except DomainError as error:
        raise PageInputError(_messages(error)) from None
    rows = [_table_row(item, sla.get(item["service_code"]), lang) for item in services]
    complaints = complaint_stats.complaint_stats(session, period=period)
    return {
        "complaint_figures": complaint_stats.FIGURES,
        "complaint_categories": complaint_rows(complaints["categories"], lang),
        "complaint_departments": complaint_rows(complaints["departments"], lang),
        "period": period,
        "series_period": series_period,
        "rows": rows,
        "deadline_counts": DEADLINE_COUNTS,
        "chart_service": code,
        "service_choices": [(r["code"], r["name"]) for r in rows],
        "charts": {
            "volume": _volume_chart(series, rows, code, lang) if series and code else None,
            "median": _median_chart(rows, lang),
            "sla": _department_chart(departments["departments"], lang),
        },
    }


def _messages(error: DomainError) -> list[Msg]:
    found = [e.message for e in error.errors] or [error.detail or error.title]
    return [m for m in found if m is not None]


def _chart_service(services: list[dict], wanted: str | None) -> str | None:
    """The requested service, or the busiest one in the period."""
    if wanted:
        wanted = wanted.strip().upper()[:16]
        if any(s["service_code"] == wanted for s in services):
            return wanted
        raise PageInputError(
            [Msg(f"Layanan '{wanted}' tidak dikenal", f"Unknown service '{wanted}'")]
        )
    if not services:
        return None
    return max(services, key=lambda s: s["received"] or 0)["service_code"]


def number(value: float | None, lang: str) -> str:
    """1.234 / 2,5 in Indonesian; 1,234 / 2.5 in English."""
    if value is None:
        return NONE
    text = f"{value:,.1f}" if isinstance(value, float) and value % 1 else f"{int(value):,}"
    if lang == "en":
        return text
    return text.translate(str.maketrans(",.", ".,"))


def cell(item: dict, name: str, lang: str) -> str:
    """The visible text of one figure: '<10' when suppressed, '–' when there is none."""
    value = item.get(name)
    no_decisions = name in RATES and item.get("decided") == 0
    if value is None and name in item.get("suppressed", ()) and not no_decisions:
        return SUPPRESSED
    return number(value, lang)


def _table_row(item: dict, sla_days: int | None, lang: str) -> dict:
    names = item["service_name"]
    row = {
        "code": item["service_code"],
        "name": names["en"] if lang == "en" else names["id"],
        "department": item["department_code"],
        "sla_days": sla_days,
        "median": item["median_working_days"],
    }
    row |= {name: cell(item, name, lang) for name in (*TABLE_FIGURES, *DEADLINE_COUNTS)}
    for name in PERCENT_FIGURES:
        if item[name] is not None:
            row[name] += " %"
    return row


def _bar(label: str, value: float | None, text: str, marker: int | None = None) -> charts.Bar:
    return charts.Bar(label, value, text, marker=marker, hidden=text == SUPPRESSED)


def _month_label(month: str, lang: str) -> str:
    year, index = month.split("-")
    names = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{names[int(index) - 1][:3]} {year[2:]}"


def _volume_chart(series: dict, rows: list[dict], code: str, lang: str):
    en = lang == "en"
    name = next(r["name"] for r in rows if r["code"] == code)
    bars = [
        _bar(_month_label(m["month"], lang), m["received"], cell(m, "received", lang))
        for m in series["series"]
    ]
    shown = ", ".join(f"{b.label}: {b.text}" for b in bars)
    return charts.vertical_bars(
        "chart-volume",
        title=(
            f"Applications received per month: {name}"
            if en
            else f"Permohonan diterima per bulan: {name}"
        ),
        desc=shown,
        bars=bars,
    )


def _median_chart(rows: list[dict], lang: str):
    en = lang == "en"
    bars = [
        _bar(r["code"], r["median"], r["median_working_days"], marker=r["sla_days"]) for r in rows
    ]
    shown = "; ".join(
        f"{r['code']}: {r['median_working_days']} (SLA {r['sla_days'] or NONE})" for r in rows
    )
    return charts.horizontal_bars(
        "chart-median",
        title=(
            "Median working days per service, against the service's SLA"
            if en
            else "Median hari kerja per layanan, dibandingkan dengan SLA layanan"
        ),
        desc=shown,
        bars=bars,
        marker_label="| = SLA (" + ("working days" if en else "hari kerja") + ")",
    )


def _department_chart(departments: list[dict], lang: str):
    en = lang == "en"
    bars = []
    for d in departments:
        text = cell(d, "pct_within_sla", lang)
        suffix = " %" if d["pct_within_sla"] is not None else ""
        bars.append(_bar(d["department_code"], d["pct_within_sla"], text + suffix))
    shown = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return charts.horizontal_bars(
        "chart-sla",
        title=(
            "Share of decisions within the SLA, per department"
            if en
            else "Persentase keputusan tepat waktu (sesuai SLA) per dinas"
        ),
        desc=shown,
        bars=bars,
        maximum=100,
    )


def complaint_rows(items: list[dict], lang: str) -> list[dict]:
    """Complaint figures as the tables show them: '<10' when suppressed, '–' when none."""
    rows = []
    for item in items:
        names = item.get("category_name")
        if names:
            name, code = (names["en"] if lang == "en" else names["id"]), item["category_code"]
        else:
            name, code = item["department_name"], item["department_code"]
        values = {}
        for figure in complaint_stats.FIGURES:
            value = item.get(figure)
            if value is None and figure in item["suppressed"]:
                values[figure] = SUPPRESSED
            else:
                values[figure] = number(value, lang)
                if value is not None and figure in complaint_stats.PERCENT_FIGURES:
                    values[figure] += " %"
        rows.append(
            {
                "name": name,
                "code": code,
                "department": item.get("department_code") or "",
                "sla": (item.get("response_hours_sla"), item.get("resolution_days_sla")),
                "values": values,
            }
        )
    return rows
