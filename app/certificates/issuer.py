"""The long-lived certificate machinery of one process: renderer, signer, chain, storage."""

from __future__ import annotations

from dataclasses import dataclass

from app import resources
from app.certificates.keys import SigningMaterial, ensure_chain, load_material
from app.certificates.render import CertificateRenderer
from app.certificates.signing import DocumentSigner, make_timestamper
from app.config import Settings
from app.files.storage import FileStore
from app.oauth.tokens import TokenService


@dataclass
class CertificateIssuer:
    settings: Settings
    material: SigningMaterial
    renderer: CertificateRenderer
    signer: DocumentSigner
    files: FileStore
    tokens: TokenService


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
    return CertificateIssuer(
        settings=settings,
        material=material,
        renderer=CertificateRenderer(templates_dir=resources.templates_dir()),
        signer=DocumentSigner(
            material, timestamper=timestamper or make_timestamper(settings.timestamp_url)
        ),
        files=files,
        tokens=tokens,
    )
