"""Certificate PDFs: a Jinja2 template laid out by WeasyPrint as PDF/A-3b with the facts attached.

`import weasyprint` costs about a second and building fonts and stylesheets a good part of a
render, so one `CertificateRenderer` is meant to live as long as the process.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import weasyprint  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from app.certificates.codes import display as display_code
from app.certificates.facts import CertificateFacts
from app.certificates.qr import qr_data_uri
from app.i18n import long_date
from app.office import office_date

PDF_VARIANT = "pdf/a-3b"
ATTACHMENT_NAME = "certificate.json"
ATTACHMENT_DESCRIPTION = "Certificate facts (machine-readable) / Data sertifikat"
DEFAULT_TEMPLATE = "default"
_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def canonical_json(data: dict[str, Any]) -> bytes:
    """`data` as canonical JSON: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_date(value: date, *, language: str) -> str:
    """A date as "28 November 2026", with Indonesian ("id") or English ("en") month names."""
    return long_date(value, language)


def verify_page_url(verify_url: str) -> str:
    """The public upload page for checking a file, derived from the URL the QR code carries."""
    base, separator, _ = verify_url.partition("/verify/")
    return f"{base}/verify" if separator else verify_url.split("?", 1)[0]


T = TypeVar("T")


@cache
def _qr_stand_in() -> str:
    # A real (tiny) image, so that a page laid out without the certificate's own QR code
    # still gets an image box where the code goes; the template's CSS gives it its size.
    return qr_data_uri("-")


def _template_context(facts: CertificateFacts, *, qr: bool = True) -> dict[str, Any]:
    issued_on = office_date(facts.issued_at)  # the office's calendar day, not UTC's
    valid_until = facts.valid_until
    return {
        "facts": facts,
        "created": facts.issued_at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issued_id": format_date(issued_on, language="id"),
        "issued_en": format_date(issued_on, language="en"),
        "valid_until_id": format_date(valid_until, language="id") if valid_until else None,
        "valid_until_en": format_date(valid_until, language="en") if valid_until else None,
        "qr_src": qr_data_uri(facts.verify_url) if qr else _qr_stand_in(),
        "verify_page": verify_page_url(facts.verify_url),
        "code_display": display_code(facts.verification_code),
    }


class CertificateRenderer:
    """Renders certificates; holds the parsed templates, fonts and stylesheets between renders."""

    def __init__(self, *, templates_dir: Path, tags: bool = False) -> None:
        """Load the templates under `templates_dir`/certificates and parse the default CSS;
        ``tags``: write tagged PDFs (a structure tree for screen readers, ``/MarkInfo``)."""
        self.tags = tags
        self._dir = Path(templates_dir).resolve() / "certificates"
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        # Only local files (the pinned fonts) and data: URIs (the QR code): a certificate must
        # never depend on, or leak to, the network.
        self._fetcher = URLFetcher(allowed_protocols=("file", "data"))
        # One FontConfiguration and one parsed CSS per template, reused: rebuilding them for every
        # certificate took a render from ~80 to ~113 ms (median) on a 2-vCPU machine.
        self._fonts = FontConfiguration()
        self._stylesheets: dict[str, weasyprint.CSS] = {}
        self._extra: dict[str, weasyprint.CSS] = {}
        self._lock = threading.Lock()
        self._stylesheet(DEFAULT_TEMPLATE)

    def render(self, facts: CertificateFacts, *, template: str = DEFAULT_TEMPLATE) -> bytes:
        """The certificate as PDF/A-3b bytes; the same facts always give the same bytes."""
        name, html = self.page_html(facts, template=template)
        document = self._html(html)
        # FastAPI runs sync code on a thread pool; WeasyPrint does not promise that a shared
        # FontConfiguration (Fontconfig/Pango state) and CSS object survive concurrent use.
        with self._lock:
            return document.write_pdf(
                stylesheets=[self._stylesheet(name)],
                font_config=self._fonts,
                pdf_variant=PDF_VARIANT,
                pdf_tags=self.tags,
                attachments=[_facts_attachment(facts)],
                finisher=_list_associated_files_once,
            )

    def page_html(
        self, facts: CertificateFacts, *, template: str = DEFAULT_TEMPLATE, qr: bool = True
    ) -> tuple[str, str]:
        """(template used, the page's HTML); ``qr=False`` puts a stand-in image for the QR."""
        name = self._resolve(template)
        context = _template_context(facts, qr=qr)
        return name, self._env.get_template(f"certificates/{name}.html").render(context)

    def stylesheet_path(self, template: str) -> Path:
        """The CSS file a template is laid out with (the default one when it has none)."""
        path = self._dir / f"{self._resolve(template)}.css"
        return path if path.is_file() else self._dir / f"{DEFAULT_TEMPLATE}.css"

    def lay_out(
        self,
        html: str,
        *,
        template: str,
        extra_css: str,
        inspect: Callable[[Any], T],
        write: bool,
    ) -> tuple[T, bytes | None]:
        """Lay ``html`` out with the template's CSS and ``extra_css``; ``inspect`` reads the
        layout (WeasyPrint's ``Document``) before it is written, without attachments, if
        ``write``. For the static pages of the fast path (``fastpath``)."""
        document = self._html(html)
        with self._lock:
            if extra_css not in self._extra:
                self._extra[extra_css] = weasyprint.CSS(
                    string=extra_css, font_config=self._fonts, url_fetcher=self._fetcher
                )
            laid_out = document.render(
                stylesheets=[self._stylesheet(self._resolve(template)), self._extra[extra_css]],
                font_config=self._fonts,
                pdf_variant=PDF_VARIANT,
            )
            found = inspect(laid_out)
            if not write:
                return found, None
            return found, laid_out.write_pdf(pdf_variant=PDF_VARIANT)

    def _html(self, html: str) -> weasyprint.HTML:
        return weasyprint.HTML(
            string=html, base_url=self._dir.as_uri() + "/", url_fetcher=self._fetcher
        )

    def _resolve(self, template: str) -> str:
        if _TEMPLATE_NAME.fullmatch(template) and (self._dir / f"{template}.html").is_file():
            return template
        return DEFAULT_TEMPLATE

    def _stylesheet(self, name: str) -> weasyprint.CSS:
        if name not in self._stylesheets:
            path = self._dir / f"{name}.css"
            if not path.is_file():
                return self._stylesheet(DEFAULT_TEMPLATE)
            self._stylesheets[name] = weasyprint.CSS(
                filename=str(path), font_config=self._fonts, url_fetcher=self._fetcher
            )
        return self._stylesheets[name]


def _list_associated_files_once(_document: Any, pdf: Any) -> None:
    # WeasyPrint 70's PDF/A-3 code adds every attachment to the catalog's /AF twice (once from
    # the EmbeddedFiles name tree, once from a scan for file specifications).
    associated = pdf.catalog.get("AF")
    if associated:
        associated[:] = list(dict.fromkeys(associated))


def _facts_attachment(facts: CertificateFacts) -> weasyprint.Attachment:
    # Fixed dates: WeasyPrint stamps attachments with datetime.now() otherwise, and the output
    # would differ on every render.
    issued = facts.issued_at_utc
    return weasyprint.Attachment(
        string=canonical_json(facts.as_json()),
        name=ATTACHMENT_NAME,
        description=ATTACHMENT_DESCRIPTION,
        created=issued,
        modified=issued,
        # "Data": the file carries the information the page shows (PDF/A-3 associated file).
        relationship="Data",
    )
