"""The long-lived certificate machinery of one process: renderer, signer, chain, storage."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from app import resources
from app.certificates.facts import CertificateFacts
from app.certificates.fastpath import Stamper
from app.certificates.keys import SigningMaterial, ensure_chain, load_material
from app.certificates.render import CertificateRenderer
from app.certificates.signing import DocumentSigner, Edit, make_timestamper
from app.certificates.slots import CannotStamp
from app.config import Settings
from app.files.storage import FileStore
from app.metrics.instruments import CERTIFICATE_SIGNING_SECONDS, CERTIFICATES_ISSUED
from app.oauth.tokens import TokenService

log = logging.getLogger(__name__)


@dataclass
class CertificateIssuer:
    settings: Settings
    material: SigningMaterial
    renderer: CertificateRenderer
    signer: DocumentSigner
    files: FileStore
    tokens: TokenService
    stamper: Stamper | None = None

    def produce(
        self, facts: CertificateFacts, *, template: str, reason: str, location: str
    ) -> bytes:
        """The signed certificate PDF: stamped on a cached static page when the fast path can
        lay it out, else rendered in full and then signed."""
        prepared = self._stamped(facts, template=template)
        if prepared is not None:
            pdf, edit = prepared
            return self._signed(pdf, path="fast", reason=reason, location=location, edit=edit)
        pdf = self.renderer.render(facts, template=template)
        return self._signed(pdf, path="full", reason=reason, location=location)

    def _signed(self, pdf: bytes, *, path: str, reason: str, location: str, **edit) -> bytes:
        started = time.perf_counter()
        signed = self.signer.sign(pdf, reason=reason, location=location, **edit)
        CERTIFICATE_SIGNING_SECONDS.observe(time.perf_counter() - started)
        CERTIFICATES_ISSUED.labels(path).inc()
        return signed

    def _stamped(self, facts: CertificateFacts, *, template: str) -> tuple[bytes, Edit] | None:
        if self.stamper is None:
            return None
        try:
            return self.stamper.prepare(facts, template=template)
        except CannotStamp as why:
            log.info("certificate %s rendered in full: %s", facts.number, why)
        except Exception:  # a fault in the fast path must not cost the approval
            log.exception("fast path failed for certificate %s; rendering in full", facts.number)
        return None


def signing_material(settings: Settings) -> SigningMaterial:
    """The authority's key and chain from settings, or the local development chain."""
    password = settings.signing_pkcs12_password
    if settings.signing_pkcs12_file or settings.signing_key_file:
        return load_material(
            key_file=settings.signing_key_file,
            cert_file=settings.signing_cert_file,
            chain_file=settings.signing_chain_file,
            pkcs12_file=settings.signing_pkcs12_file,
            pkcs12_password=password.get_secret_value().encode() if password else None,
        )
    return ensure_chain(settings.certificates_dir, authority_name=settings.authority_name)


def build_issuer(
    settings: Settings, *, files: FileStore, tokens: TokenService, timestamper=None
) -> CertificateIssuer:
    """Load keys once and build the renderer and signer (both are slow to import and set up)."""
    material = signing_material(settings)
    tags = settings.certificate_pdf_tags
    renderer = CertificateRenderer(templates_dir=resources.templates_dir(), tags=tags)
    return CertificateIssuer(
        settings=settings,
        material=material,
        renderer=renderer,
        signer=DocumentSigner(
            material, timestamper=timestamper or make_timestamper(settings.timestamp_url)
        ),
        files=files,
        tokens=tokens,
        # The fast path stamps untagged text: a tagged certificate is always rendered in full.
        stamper=None if tags else Stamper(renderer),
    )
