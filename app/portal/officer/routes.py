"""The officer workspace: the department's queue, the application page and its actions.

Routes parse the form, call the same service functions as the JSON API with the signed-in
officer as principal, and render. An action runs in its own transaction so that a refused one
is rolled back (with its rollback hooks) before the page is shown again with the message.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError

from app.applications import documents, service, transitions
from app.cases.schemas import TransitionRequest
from app.db import transaction
from app.errors import DomainError, Forbidden, InvalidTransition, Msg, NotFound, StaleVersion
from app.http import downloads
from app.http.deps import SessionDep
from app.http.pipeline import audited_read
from app.portal.officer import views as officer_views
from app.portal.officer.counter import router as assisted_router
from app.portal.officer.stats import router as stats_router
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.context import FormDep, OfficerDep, WebContext
from app.web.pages import field_messages, page, see_other
from app.web.wording import state_label

router = APIRouter(tags=["web: officer"], include_in_schema=False)
router.include_router(assisted_router)
router.include_router(stats_router)

Text = Annotated[str, Query(max_length=100)]

_GRANTED = Msg(
    "Izin akan diterbitkan dan ditandatangani atas nama dinas, dan pemohon diberi tahu. "
    "Keputusan ini tidak dapat dibatalkan: sesudahnya izin hanya dapat dicabut.",
    "The certificate will be issued and signed for the department, and the applicant is told. "
    "This decision cannot be undone: afterwards the certificate can only be revoked.",
)
# Decisions that cannot be taken back: asked again on a page of their own (app/web/confirm.py).
CONFIRM = {
    "approve": Confirmation(
        Msg("Setujui permohonan ini?", "Approve this application?"),
        _GRANTED,
        Msg("Ya, setujui", "Yes, approve"),
        danger=False,
    ),
    "grant_objection_approve": Confirmation(
        Msg("Terima keberatan dan setujui permohonan?", "Grant the objection and approve?"),
        _GRANTED,
        Msg("Ya, terima dan setujui", "Yes, grant and approve"),
        danger=False,
    ),
    "reject": Confirmation(
        Msg("Tolak permohonan ini?", "Reject this application?"),
        Msg(
            "Permohonan ditutup sebagai ditolak dan pemohon menerima alasan di bawah ini. "
            "Keputusan ini tidak dapat dibatalkan; pemohon hanya dapat mengajukan keberatan.",
            "The application is closed as rejected and the applicant receives the reason below. "
            "This decision cannot be undone; the applicant can only object to it.",
        ),
        Msg("Ya, tolak permohonan", "Yes, reject the application"),
    ),
    "revoke": Confirmation(
        Msg("Cabut izin ini?", "Revoke this certificate?"),
        Msg(
            "Izin tidak berlaku lagi sejak saat ini: halaman verifikasi publik akan menyatakannya "
            "dicabut, dan pemohon diberi tahu alasan di bawah ini. Pencabutan tidak dapat "
            "dibatalkan.",
            "The certificate stops being valid now: the public verification page will say it "
            "was revoked, and the applicant is told the reason below. A revocation cannot be "
            "undone.",
        ),
        Msg("Ya, cabut izin", "Yes, revoke the certificate"),
    ),
}


@router.get("/officer", response_class=HTMLResponse)
def queue_page(
    web: OfficerDep,
    session: SessionDep,
    state: Text = "",
    service: Text = "",
    assigned: Text = "",
    overdue: Text = "",
    escalated: Text = "",
    q: Text = "",
    sort: Text = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    filters = officer_views.QueueFilters(
        sort=sort or "due",
        state=state,
        service=service,
        assigned=assigned,
        overdue=overdue in ("1", "true", "on"),
        escalated=escalated in ("1", "true", "on"),
        q=q.strip(),
    )
    view = officer_views.queue_view(
        session, principal=web.principal, filters=filters, cursor=cursor or None, lang=web.lang
    )
    return page(web, "officer/queue.html", view, status_code=422 if view["errors"] else 200)


@router.get("/officer/applications/{application_id}", response_class=HTMLResponse)
@audited_read
def review_page(
    application_id: uuid.UUID, web: OfficerDep, session: SessionDep, done: Text = ""
) -> HTMLResponse:
    view = officer_views.review_view(
        session, principal=web.principal, application_id=application_id, lang=web.lang
    )
    return page(
        web,
        "officer/review.html",
        view | {"done": done[:32], "errors": {}, "failed": None, "message": None},
    )


@router.get("/officer/applications/{application_id}/documents/{document_id}")
@audited_read
def document_file(
    application_id: uuid.UUID, document_id: uuid.UUID, web: OfficerDep, session: SessionDep
) -> FileResponse:
    document, path = documents.open_document(
        session,
        files=web.runtime.files,
        principal=web.principal,
        application_id=application_id,
        document_id=document_id,
    )
    return downloads.document_response(document, path, view=True)


@router.get("/officer/applications/{application_id}/certificate")
@audited_read
def certificate_file(
    application_id: uuid.UUID, web: OfficerDep, session: SessionDep
) -> FileResponse:
    """The signed certificate of an approved application of the officer's department."""
    certificate, path = service.application_certificate(
        session,
        principal=web.principal,
        application_id=application_id,
        issuer=web.runtime.certificates,
    )
    return downloads.certificate_response(certificate, path)


@router.post("/officer/applications/{application_id}/act", response_class=HTMLResponse)
def act(application_id: uuid.UUID, web: OfficerDep, form: FormDep) -> Response:
    action = str(form.get("action", ""))[:32]
    # Browsers send textarea line breaks as CR LF; the API's plain text allows LF only.
    comment = str(form.get("comment", "")).replace("\r\n", "\n").replace("\r", "\n").strip()
    version = _number(form.get("version"))
    try:
        days = _number(form.get("days")) if form.get("days") else None  # extend
        request = TransitionRequest(
            action=action, comment=comment or None, version=version, days=days
        )
        if action in CONFIRM and not confirmed(form):
            asked = _confirmation(web, application_id, request, back=str(form.get("back", "")))
            if asked is not None:
                return asked
        with transaction(web.runtime.engine) as session:
            transitions.transition(
                session,
                principal=web.principal,
                application_id=application_id,
                request=request,
                certificates=lambda: web.runtime.certificates,
            )
    except NotFound:
        raise
    except (DomainError, ValidationError) as error:
        return _refused(
            web, application_id, action=action, comment=comment, version=version, error=error
        )
    if form.get("back") == "queue":
        return see_other(web, "/officer")
    return see_other(web, f"/officer/applications/{application_id}?done={action}")


def _confirmation(
    web: WebContext, application_id: uuid.UUID, request: TransitionRequest, *, back: str
) -> HTMLResponse | None:
    """The confirm page, or None when the action cannot run as asked (the engine says why)."""
    with transaction(web.runtime.engine, write=False) as session:
        view = officer_views.review_view(
            session, principal=web.principal, application_id=application_id, lang=web.lang
        )
    offered = next((a for a in view["actions"] if a.action == request.action), None)
    current = view["application"]
    if offered is None or current.version != request.version:
        return None
    if offered.needs_comment and not request.comment:
        return None
    fields = {"action": request.action, "version": str(request.version)}
    fields |= {"comment": request.comment} if request.comment else {}
    fields |= {"back": "queue"} if back == "queue" else {}
    return confirm_page(
        web,
        CONFIRM[request.action],
        action=f"/officer/applications/{application_id}/act",
        fields=fields,
        back=f"/officer/applications/{application_id}",
        subject=f"{current.reference} · {view['service_name']} · {current.applicant.full_name}",
        quoted=(request.comment or "") if offered.needs_comment else "",
    )


def _number(raw: object) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return 0


def _refused(
    web: WebContext,
    application_id: uuid.UUID,
    *,
    action: str,
    comment: str,
    version: int,
    error: DomainError | ValidationError,
) -> HTMLResponse:
    """The application page as it is now, with why the action was refused."""
    with transaction(web.runtime.engine, write=False) as session:
        view = officer_views.review_view(
            session, principal=web.principal, application_id=application_id, lang=web.lang
        )
    current = view["application"]
    errors, message = {}, None
    if isinstance(error, StaleVersion | InvalidTransition) and version != current.version:
        message = _stale(current.workflow, current.state, web.lang)
    elif isinstance(error, InvalidTransition | Forbidden):
        message = (error.detail or error.title).in_lang(web.lang)
    else:
        errors = field_messages(error, web.lang)
        message = errors.pop("form", None)
    status = error.status if isinstance(error, DomainError) else 422
    return page(
        web,
        "officer/review.html",
        view
        | {
            "done": "",
            "errors": errors,
            "message": message,
            "failed": {"action": action, "comment": comment},
        },
        status_code=status,
    )


def _stale(workflow: str, state: str, lang: str) -> str:
    return Msg(
        "Orang lain sudah menindaklanjuti permohonan ini lebih dulu. Statusnya sekarang: "
        f"{state_label(workflow, state, 'id', officer=True)}. Periksa keadaan terbaru di bawah "
        "ini, lalu ulangi tindakan bila masih perlu.",
        "Someone else acted on this application first. It is now: "
        f"{state_label(workflow, state, 'en', officer=True)}. Check its current state below and "
        "act again if still needed.",
    ).in_lang(lang)
