"""The public verification pages: the QR code's page (``/verify/{code}``), and "check a PDF":
upload a certificate and see whether it is genuine and valid (the code typed into that page's
second form leads to the QR code's page)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from app.certificates import codes, views
from app.certificates.views import MAX_VERIFY_UPLOAD
from app.errors import Msg, NotFound
from app.http.deps import RuntimeDep, SessionDep, VerifyThrottled
from app.web.context import FormDep, WebContext, WebDep
from app.web.pages import page, see_other

router = APIRouter(tags=["web: verification"], include_in_schema=False)

NO_FILE = Msg("Pilih berkas PDF sertifikat", "Choose the certificate's PDF file")
EMPTY = Msg("Berkas kosong", "The file is empty")
TOO_LARGE = Msg(
    "Berkas lebih dari 10 MB; sertifikat Loket jauh lebih kecil",
    "The file is over 10 MB; Loket certificates are much smaller",
)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(web: WebDep, code: str | None = None) -> Response:
    """The upload form; with ``?code=`` (the second form) it leads to the code's own page."""
    typed = codes.from_typed(code or "")
    if typed:
        return see_other(web, f"/verify/{quote(typed, safe='')}")
    return _form(web, errors={})


@router.post("/verify", response_class=HTMLResponse)
def verify_upload(_: VerifyThrottled, web: WebDep, form: FormDep, session: SessionDep) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form(web, errors={"file": NO_FILE.in_lang(web.lang)}, status_code=422)
    data = upload.file.read(MAX_VERIFY_UPLOAD + 1)
    if len(data) > MAX_VERIFY_UPLOAD:
        return _form(web, errors={"file": TOO_LARGE.in_lang(web.lang)}, status_code=413)
    if not data:
        return _form(web, errors={"file": EMPTY.in_lang(web.lang)}, status_code=422)
    result = views.check_upload(session, issuer=web.runtime.certificates, data=data, lang=web.lang)
    return page(
        web,
        "public/verify_upload.html",
        {"result": result, "filename": upload.filename[:200], "errors": {}},
    )


def _form(web: WebContext, *, errors: dict, status_code: int = 200) -> Response:
    return page(
        web,
        "public/verify_upload.html",
        {"result": None, "errors": errors},
        status_code=status_code,
    )


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(
    _: VerifyThrottled, code: str, web: WebDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    try:
        status = views.public_status(
            session, issuer=runtime.certificates, code=code[:64], lang=web.lang
        )
    except NotFound:
        return page(web, "public/verify.html", {"certificate": None}, status_code=404)
    return page(web, "public/verify.html", {"certificate": status})
