"""The public reports: a paged list with a map drawn on the server (an SVG of points that are
links, so it needs no JavaScript and no map tiles), and one report's page with its photos.

Everything comes from ``app.complaints.public``, whose shapes carry no name, contact or account
and round the point where the category keeps exact places private.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, HTMLResponse

from app.catalogue import areas
from app.complaints import public
from app.complaints.kind import complaint_workflow_name
from app.complaints.schemas import PublicComplaint
from app.errors import DomainError
from app.http.deps import SessionDep
from app.portal.complaints.officer_views import area_groups
from app.portal.complaints.views import categories
from app.web.context import WebDep
from app.web.pages import field_messages, page
from app.workflow.definitions import get_workflow

router = APIRouter(tags=["web: public reports"], include_in_schema=False)
Text = Annotated[str, Query(max_length=40)]
Reference = Annotated[str, Path(max_length=40)]
PAGE_SIZE = 20
# The map shows mainland Jakarta (Kepulauan Seribu's reports are in the list).
NORTH, SOUTH, WEST, EAST = -6.08, -6.38, 106.68, 106.98
WIDTH, HEIGHT = 600, 600


@dataclass
class MapPoint:
    x: float
    y: float
    reference: str
    label: str


def map_points(items: list[PublicComplaint]) -> list[MapPoint]:
    """Where each report with a point lies on the map's square, in SVG units."""
    points = []
    for item in items:
        if item.lat is None or item.long is None:
            continue
        if not (SOUTH <= item.lat <= NORTH and WEST <= item.long <= EAST):
            continue
        x = (item.long - WEST) / (EAST - WEST) * WIDTH
        y = (NORTH - item.lat) / (NORTH - SOUTH) * HEIGHT
        label = f"{item.reference}: {item.category_name}, {item.state_label}"
        points.append(MapPoint(round(x, 1), round(y, 1), item.reference, label))
    return points


@router.get("/laporan", response_class=HTMLResponse)
def public_list(
    web: WebDep,
    session: SessionDep,
    category: Text = "",
    area: Text = "",
    state: Text = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    filters = {"category": category, "area": area, "state": state}
    errors: dict[str, str] = {}
    try:
        found = public.public_complaints(
            session,
            category=category or None,
            area=area or None,
            state=state or None,
            cursor=cursor or None,
            limit=PAGE_SIZE,
            lang=web.lang,
        )
        items, next_cursor = found.items, found.next_cursor
    except DomainError as error:
        errors = field_messages(error, web.lang)
        items, next_cursor = [], None
    query = {key: value for key, value in filters.items() if value}
    workflow = get_workflow(complaint_workflow_name())
    values: dict[str, Any] = {
        "items": items,
        "points": map_points(items),
        "width": WIDTH,
        "height": HEIGHT,
        "filters": filters,
        "errors": errors,
        "next_url": f"/laporan?{urlencode(query | {'cursor': next_cursor})}"
        if next_cursor
        else None,
        "category_choices": [
            (c.code, c.name) for c in categories(session, lang=web.lang) if c.public
        ],
        "state_choices": [(s.name, s.words(web.lang)) for s in workflow.states],
        "area_groups": area_groups(),
    }
    return page(web, "complaints/public_list.html", values, status_code=422 if errors else 200)


@router.get("/laporan/{reference}", response_class=HTMLResponse)
def public_report(web: WebDep, session: SessionDep, reference: Reference) -> HTMLResponse:
    item = public.public_report(session, reference=reference, lang=web.lang)
    area = areas.area(item.area_code) if item.area_code else None
    kota = areas.area(area.parent) if area is not None else None
    return page(
        web,
        "complaints/public_report.html",
        {
            "item": item,
            "points": map_points([item]),
            "width": WIDTH,
            "height": HEIGHT,
            "kecamatan": kota,
        },
    )


@router.get("/laporan/{reference}/foto/{number}")
def public_photo(
    web: WebDep, session: SessionDep, reference: Reference, number: int
) -> FileResponse:
    document, path = public.public_photo(
        session, files=web.runtime.files, reference=reference, number=number
    )
    extension = "png" if document.content_type == "image/png" else "jpg"
    # Never the resident's own file name: it may carry their name.
    return FileResponse(
        path,
        media_type=document.content_type,
        filename=f"{reference.upper()}-{number}.{extension}",
        content_disposition_type="inline",
    )
