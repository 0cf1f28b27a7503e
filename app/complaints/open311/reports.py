"""POST requests: a registered system files a report for a resident with its Open311 api_key.

The key is checked, and the attempt counted against the key's hourly limit, in a transaction
of its own before the report's (as the API throttles machine clients: refused and failed
attempts count too). The report itself is ``file_complaint``'s, filed by the system client
(the case records it in ``created_by_client``) for a reporter named by the contact the system
passes (``email`` or ``phone``, and ``first_name``/``last_name``), kept from public view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts.principal import Principal
from app.catalogue.forms import PREFIX, parse_form
from app.complaints import service
from app.complaints.open311.common import w3c
from app.complaints.open311.services import active_category
from app.complaints.schemas import ComplaintCreate
from app.db import Engine, Session, committed_on_its_own
from app.errors import FieldError, Msg, ValidationFailed
from app.oauth import repository as oauth_repo
from app.oauth.clients import open311_client
from app.ratelimit import hit

WINDOW_SECONDS = 3600
# Our names for a report's fields, as GeoReport v2 calls them (for its error descriptions).
OPEN311_NAMES = {
    "category_code": "service_code",
    "address": "address_string",
    "area_code": "address_id",
    "name": "first_name",
}
_YES = frozenset({"true", "1", "yes", "y", "on", "ya"})


def open311_name(field: str) -> str:
    """A field of ours as the standard names it (``data.depth`` is ``attribute[depth]``)."""
    if field.startswith(PREFIX):
        return f"attribute[{field.removeprefix(PREFIX)}]"
    return OPEN311_NAMES.get(field, field)


def admit(engine: Engine, *, api_key: str | None, limit_per_hour: int) -> str:
    """The system client an api_key belongs to (403 otherwise), this attempt counted against
    the key's limit per hour (429 past it) in its own committed transaction."""
    with committed_on_its_own(engine) as session:
        client = open311_client(session, api_key)
        hit(
            session,
            key=f"open311:{client.client_id}",
            limit=limit_per_hour,
            window_seconds=WINDOW_SECONDS,
        )
        return client.client_id


def file_request(
    session: Session,
    *,
    client_id: str,
    report: ComplaintCreate,
    attributes: Mapping[str, str],
    address: str,
    limit_per_hour: int,
    lang: str,
) -> list[dict[str, Any]]:
    """File the report as the system client; the standard's answer ``[{service_request_id,
    service_notice, account_id}]``."""
    client = oauth_repo.client_by_id(session, client_id)
    if client is None:
        raise LookupError(f"client {client_id} vanished after admission")
    caller = Principal(
        user=None,
        client_id=client.client_id,
        scopes=frozenset(client.scopes.split()),
        client=client,
    )
    category = active_category(session, report.category_code)
    data = _answers(category.form_schema, attributes)
    try:
        filed = service.file_complaint(
            session,
            request=report.model_copy(update={"data": data}),
            address=address,
            limit_per_hour=limit_per_hour,
            principal=caller,
        )
    except ValidationFailed as error:
        raise ValidationFailed(
            detail=error.detail,
            errors=[FieldError(open311_name(e.field), e.message) for e in error.errors],
        ) from None
    notice = Msg(
        f"Laporan diterima; tanggapan pertama paling lambat {w3c(filed.response_due_at)}",
        f"Report received; first response due by {w3c(filed.response_due_at)}",
    )
    return [
        {
            "service_request_id": filed.reference,
            "service_notice": notice.in_lang(lang),
            "account_id": None,
        }
    ]


def _answers(schema: dict, attributes: Mapping[str, str]) -> dict[str, Any]:
    """The ``attribute[code]`` answers as the category's form data, read as every form is."""
    properties = schema.get("properties", {})
    unknown = sorted(code for code in attributes if code not in properties)
    if unknown:
        raise ValidationFailed(
            errors=[
                FieldError(
                    f"attribute[{code[:40]}]",
                    Msg(
                        "Pertanyaan ini tidak ada di layanan ini", "Not a question of this service"
                    ),
                )
                for code in unknown[:10]
            ]
        )
    if not properties:
        return {}
    form = {PREFIX + code: _typed(properties[code], value) for code, value in attributes.items()}
    data, _ = parse_form(schema, form)
    return data


def _typed(prop: dict, value: str) -> str:
    # A yes/no question is a list of "true" and "false" here (services.py); forms reads a
    # ticked box as any text and an unticked one as none.
    if prop.get("type") == "boolean":
        return "on" if value.strip().lower() in _YES else ""
    return value
