"""Discovery, the service list and each service's definition: the complaint categories, with
their extra questions as attributes (read through ``app.catalogue.forms``, the one reading of
a form schema that every portal uses)."""

from __future__ import annotations

from typing import Any

from app.catalogue import repository as catalogue_repo
from app.catalogue.forms import FormField, form_fields
from app.complaints.open311.common import SPECIFICATION
from app.db import Session
from app.errors import Msg, NotFound
from app.models import ComplaintCategory, Department

# When this server's Open311 surface last changed (discovery's changeset).
CHANGESET = "2026-12-03T00:00:00Z"
FORMATS = ("text/xml", "application/json")
# A yes/no question has no datatype of its own in GeoReport v2: a list of two answers.
_YES_NO = {"id": (("true", "Ya"), ("false", "Tidak")), "en": (("true", "Yes"), ("false", "No"))}


def discovery(*, url: str, contact: str, lang: str) -> dict[str, Any]:
    """Where the endpoint is, what it speaks, and how to get a key."""
    key_service = Msg(
        "Kunci API (api_key) untuk mengirim laporan diberikan oleh pengelola Loket kota kepada "
        "sistem yang terdaftar (loket clients create --open311).",
        "An api_key for filing reports is issued by the city's Loket administrators to a "
        "registered system (loket clients create --open311).",
    )
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service.in_lang(lang),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(FORMATS),
            }
        ],
    }


def list_services(session: Session, *, lang: str) -> list[dict[str, Any]]:
    """Every active complaint category as a service, by code."""
    return [
        _service(category, department, lang=lang)
        for category, department in catalogue_repo.current_categories(session)
    ]


def _service(category: ComplaintCategory, department: Department, *, lang: str) -> dict[str, Any]:
    other = category.name_id if lang == "en" else category.name_en
    return {
        "service_code": category.code,
        "service_name": category.name_en if lang == "en" else category.name_id,
        "description": category.description_en if lang == "en" else category.description_id,
        "metadata": bool(category.form_schema.get("properties")),
        "type": "realtime",
        "keywords": ", ".join(word for word in (other, department.code) if word),
        "group": department.name,
    }


def service_definition(session: Session, *, code: str, lang: str) -> dict[str, Any]:
    """The category's extra questions as the standard's attributes (404 for an unknown code)."""
    category = active_category(session, code)
    schema = category.form_schema
    properties = schema.get("properties", {})
    fields = form_fields(schema, lang) if properties else []
    return {
        "service_code": category.code,
        "attributes": [
            _attribute(field, properties[field.key], order=order, lang=lang)
            for order, field in enumerate(fields, start=1)
        ],
    }


def active_category(session: Session, code: str) -> ComplaintCategory:
    category = catalogue_repo.current_category(session, code)
    if category is None or not category.active:
        raise NotFound(
            Msg(f"Layanan {code[:20]} tidak dikenal", f"No service with code {code[:20]}")
        )
    return category


def _attribute(field: FormField, prop: dict, *, order: int, lang: str) -> dict[str, Any]:
    datatype, values = _datatype(field, prop, lang)
    return {
        "variable": True,
        "code": field.key,
        "datatype": datatype,
        "required": field.required,
        "datatype_description": field.hint or "",
        "order": order,
        "description": field.label,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def _datatype(field: FormField, prop: dict, lang: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    if field.kind == "checkbox":
        return "singlevaluelist", _YES_NO["en" if lang == "en" else "id"]
    if field.kind == "select":
        return "singlevaluelist", tuple(field.options)
    if prop["type"] in ("integer", "number"):
        return "number", ()
    if field.kind == "date":
        return "datetime", ()
    return ("text" if field.kind == "textarea" else "string"), ()
