"""A form posted after the session ended is kept, and the page it came from shows it again.

Without this a resident whose session expired while saving signed in again and landed on the
form's POST address ("405") with everything typed gone. Now the post is kept
(app/accounts/kept_forms.py), the browser goes to the sign-in page and from there back to the
page it posted from (the Referer, our own pages only), which fills the form in again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from app.accounts import kept_forms
from app.db import transaction
from app.errors import Msg
from app.models import KeptForm
from app.runtime import Runtime
from app.web.context import CsrfRejected, WebContext, check_origin, login_url, safe_next
from app.web.pages import KEPT_FORM_COOKIE as COOKIE

AUTOSAVE_HEADER = "loket-autosave"
KEPT = Msg(
    "Sesi Anda telah berakhir sebelum isian tersimpan. Isian yang Anda ketik ada di bawah: "
    "periksa, lalu kirim lagi.",
    "Your session ended before your answers were saved. What you typed is below: check it, "
    "then send it again.",
)
FILES_AGAIN = Msg(
    "Berkas yang tadi dipilih perlu dipilih lagi.", "Files you had chosen need choosing again."
)


def return_path(request: Request) -> str:
    """The page a form was posted from: the Referer when it is one of our pages, else home."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return safe_next(path, "/")


async def login_keeping_form(request: Request) -> Response:
    """Sign in again, then back to the page the form came from, the input kept meanwhile."""
    if request.headers.get(AUTOSAVE_HEADER):  # the page's own script: it says "not saved"
        return Response(status_code=401)
    back = return_path(request)
    response = RedirectResponse(login_url(back), status_code=303)
    runtime: Runtime = request.app.state.runtime
    try:
        check_origin(request, runtime)  # another site's post is not kept for anyone
        form = await request.form()
    except (CsrfRejected, ValueError, RuntimeError):
        return response
    # Never a password or a token: the table keeps what a person would want to see again.
    fields = {
        name: value
        for name, value in form.multi_items()
        if isinstance(value, str) and name != "csrf_token" and "password" not in name
    }
    had_files = any(isinstance(v, UploadFile) and v.filename for _, v in form.multi_items())
    with transaction(runtime.engine) as session:
        token = kept_forms.keep(session, return_path=back, fields=fields, had_files=had_files)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(kept_forms.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=runtime.settings.secure_cookies,
        path="/",
    )
    return response


def take(web: WebContext) -> KeptForm | None:
    """The form kept for this page, if the browser holds one (used up, its cookie cleared)."""
    token = web.request.cookies.get(COOKIE)
    if not token:
        return None
    with transaction(web.runtime.engine) as session:
        kept = kept_forms.take(session, token=token, path=web.request.url.path)
    if kept is not None:
        web.clear_kept_form = True
    return kept


def notice(kept: KeptForm, lang: str) -> str:
    text = KEPT.in_lang(lang)
    return f"{text} {FILES_AGAIN.in_lang(lang)}" if kept.had_files else text
