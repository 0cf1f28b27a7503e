"""A page of its own that asks before an irreversible step, and works without JavaScript.

The step's form posts to its own route; the route answers with this page unless the post
carries ``confirm=yes``. The page says what will happen and posts the same fields again with
``confirm=yes`` (and a fresh CSRF token), or goes back without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from app.errors import Msg
from app.web.context import WebContext
from app.web.pages import page

CONFIRMED = "yes"


@dataclass(frozen=True)
class Confirmation:
    """What a confirm page says: the question, what follows, and the button's words."""

    question: Msg
    consequence: Msg
    button: Msg
    danger: bool = True  # the button's colour: red for what takes something away


def confirmed(form: FormData) -> bool:
    """Whether the person already said yes on the confirm page."""
    return form.get("confirm") == CONFIRMED


def confirm_page(
    web: WebContext,
    confirmation: Confirmation,
    *,
    action: str,
    fields: dict[str, str],
    back: str,
    subject: str = "",
    quoted: str = "",
) -> HTMLResponse:
    """The question, with ``fields`` carried in the form that posts to ``action`` again."""
    lang = web.lang
    return page(
        web,
        "confirm.html",
        {
            "question": confirmation.question.in_lang(lang),
            "consequence": confirmation.consequence.in_lang(lang),
            "button": confirmation.button.in_lang(lang),
            "danger": confirmation.danger,
            "action": action,
            "fields": {k: v for k, v in fields.items() if k not in ("csrf_token", "confirm")},
            "back": back,
            "subject": subject,
            "quoted": quoted,
        },
    )
