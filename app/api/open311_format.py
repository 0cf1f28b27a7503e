"""Open311's two renderings of one answer: JSON, and the XML the standard requires, from the
same plain data (``app.complaints.open311``), and its error array in either."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

JSON, XML = "json", "xml"
FORMATS = (JSON, XML)
# The element of each item in a list, named by the list's own element (GeoReport v2, and
# mySociety's servicerequestupdates).
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def format_of(path: str) -> str:
    """The format a path asks for by its suffix; JSON unless it ends in ``.xml``."""
    return XML if path.lower().endswith(".xml") else JSON


def render(
    root: str, body: Any, fmt: str, *, status: int = 200, headers: dict | None = None
) -> Response:
    """``body`` (a dict, or a list of dicts) as JSON, or as XML under ``<root>``."""
    if fmt == XML:
        content = _xml(root, body)
        return Response(content, status, headers, media_type="text/xml; charset=utf-8")
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text.encode(), status, headers, media_type="application/json; charset=utf-8")


def errors(status: int, descriptions: list[str], fmt: str, headers: dict | None = None):
    """The standard's error answer: ``[{code, description}]`` or ``<errors><error>``."""
    body = [{"code": status, "description": text} for text in descriptions]
    return render("errors", body, fmt, status=status, headers=headers)


def _xml(root: str, body: Any) -> bytes:
    element = Element(root)
    _fill(element, body)
    return tostring(element, encoding="utf-8", xml_declaration=True)


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), item)
    elif isinstance(value, list):
        tag = _ITEM.get(element.tag, "item")
        for item in value:
            _fill(SubElement(element, tag), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))
