"""PAdES signatures on certificate PDFs with the issuing authority's key (pyHanko).

B-B without a timestamp authority, B-T with one. The signature is a certification signature
that permits no changes (DocMDP P=1), so a viewer flags any later edit as breaking it; PAdES
long-term updates (DSS, document timestamps) stay allowed by that level.

One ``DocumentSigner`` lives as long as the process and is shared by request threads. What is
shared: the loaded key and certificates (read-only), the timestamper (pyHanko caches one dummy
response in it, written once) and the calibrated signature size (an int set once under a lock).
Each ``sign`` call builds its own pyHanko writer and ``PdfSigner``. ``sign`` runs an event loop
of its own (pyHanko's sync API), so call it from a worker thread, not from ``async def`` code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import cast

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import general as asn1_general
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError, simple_cms_attribute
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from app.certificates.keys import SigningMaterial, load_dev_tsa

log = logging.getLogger(__name__)

SIGNATURE_FIELD = "LoketSignature"
DIGEST = "sha256"
# pyHanko's own estimate adds 50% to a trial signature; we measure a real one once and add this
# share (at least 256 bytes), enough for a TSA token that grows a few bytes between responses.
_RESERVE_MARGIN = 8
_RESERVE_MINIMUM_SLACK = 256

Edit = Callable[[IncrementalPdfFileWriter], None]


class _KeptKeySigner(signers.SimpleSigner):
    """A SimpleSigner that signs with the key object loaded once.

    The stock ``sign_raw`` parses the private key again for every signature (notes, gotcha 2).
    """

    def __init__(self, material: SigningMaterial) -> None:
        super().__init__(
            signing_cert=material.certificate,
            signing_key=material.private_key_info,
            cert_registry=SimpleCertificateStore.from_certs(material.chain),
        )
        self._key = material.private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the kept key; uncommon mechanisms (RSA-PSS) take the stock path."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            name = mechanism.signature_algo
        except ValueError:  # a combined OID such as sha256_ecdsa names no separate algorithm
            name = mechanism["algorithm"].native
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if name == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        if name == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hash_algorithm)
        return super().sign_raw(data, digest_algorithm)


class DocumentSigner:
    """Signs PDFs as the issuing authority: PAdES B-B, or B-T when given a timestamper."""

    def __init__(self, material: SigningMaterial, *, timestamper: TimeStamper | None = None):
        self.material = material
        self.timestamper = timestamper
        self._signer = _KeptKeySigner(material)
        self._reserved: int | None = None
        self._lock = threading.Lock()

    @property
    def level(self) -> str:
        """The PAdES baseline level this signer produces."""
        return "B-T" if self.timestamper is not None else "B-B"

    @property
    def bytes_reserved(self) -> int | None:
        """Hex characters reserved for the signature, once calibrated."""
        return self._reserved

    def calibrate(self) -> int:
        """Measure the signature size once by signing a tiny PDF (also warms pyHanko up)."""
        with self._lock:
            if self._reserved is None:
                sample = self._sign_with(
                    _tiny_pdf(),
                    reason="calibration",
                    location="",
                    signer_name=None,
                    bytes_reserved=None,
                )
                self._reserved = _reserve_for(sample)
                log.info("signature size calibrated: %d hex characters", self._reserved)
            return self._reserved

    def sign(
        self,
        pdf: bytes,
        *,
        reason: str,
        location: str,
        signer_name: str | None = None,
        edit: Edit | None = None,
    ) -> bytes:
        """Return ``pdf`` with a PAdES signature appended as an incremental update.

        ``edit`` changes the document inside that same update, before it is signed (the fast
        path writes the certificate's text there); it may run twice, on fresh writers."""
        # Lazily: with a TSA configured, calibrating costs a network round trip, and building
        # the signer must not fail (and take verification down with it) while the TSA is away.
        reserved = self._reserved or self.calibrate()
        try:
            return self._sign_with(
                pdf,
                reason=reason,
                location=location,
                signer_name=signer_name,
                bytes_reserved=reserved,
                edit=edit,
            )
        except SigningError as exc:
            if "larger than expected" not in str(exc):
                raise
        # The TSA answered with a larger token than at calibration: let pyHanko estimate (it signs
        # twice) and remember the larger size.
        log.warning("signature outgrew %d reserved hex characters; re-estimating", reserved)
        signed = self._sign_with(
            pdf,
            reason=reason,
            location=location,
            signer_name=signer_name,
            bytes_reserved=None,
            edit=edit,
        )
        with self._lock:
            self._reserved = max(self._reserved or 0, _reserve_for(signed))
        return signed

    def _sign_with(
        self,
        pdf: bytes,
        *,
        reason: str,
        location: str,
        signer_name: str | None,
        bytes_reserved: int | None,
        edit: Edit | None = None,
    ) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        _align_info_producer(writer)
        if edit is not None:
            edit(writer)
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm=DIGEST,
            reason=reason,
            location=location or None,
            name=signer_name,
            certify=True,
            docmdp_permissions=MDPPerm.NO_CHANGES,
        )
        pdf_signer = signers.PdfSigner(meta, self._signer, timestamper=self.timestamper)
        return pdf_signer.sign_pdf(writer, bytes_reserved=bytes_reserved).getvalue()


def make_timestamper(url: str | None, *, timeout_seconds: float = 10) -> TimeStamper | None:
    """An RFC 3161 client for ``url``, or None (B-B signatures) when no URL is configured."""
    if not url:
        return None
    return HTTPTimeStamper(url, timeout=timeout_seconds)


class _KeptKeyTimeStamper(DummyTimeStamper):
    """pyHanko's in-process TSA, but with its RSA key parsed once instead of per timestamp
    (the same trap as gotcha 2 of the notes: 32 of its 36 ms went into reloading the key)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The dev TSA key is RSA (keys.init_chain), as the PKCS#1 v1.5 signature below needs.
        self._loaded_key = cast(
            rsa.RSAPrivateKey,
            serialization.load_der_private_key(self.tsa_key.dump(), password=None),
        )
        # asn1crypto encodes lazily and caches the result inside shared objects (the TSA's
        # certificate): two threads dumping them at once can interleave (seen in CI as
        # "can't concat NoneType to bytes"). This in-process TSA is for development and tests,
        # so one timestamp at a time is a fine price.
        self._asn1_lock = threading.Lock()

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime):
        with self._asn1_lock:
            return self._signed_tst_info(tst_info_data, md_algorithm, dt)

    def _signed_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute(
                    "signing_certificate", asn1_general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._loaded_key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


def dev_timestamper(*, directory: Path) -> TimeStamper:
    """An in-process timestamp authority from the dev TSA ``init_chain`` wrote (tests, dev)."""
    tsa_cert, tsa_key, issuers = load_dev_tsa(directory)
    return _KeptKeyTimeStamper(
        tsa_cert=tsa_cert,
        tsa_key=tsa_key,
        certs_to_embed=SimpleCertificateStore.from_certs(issuers),
    )


def _align_info_producer(writer: IncrementalPdfFileWriter) -> None:
    """Make Info /Producer equal the XMP producer pyHanko writes (PDF/A metadata consistency).

    pyHanko sets XMP pdf:Producer to its own name but appends it to the Info entry, so the two
    disagree and PDF/A validators reject the file (notes, gotcha 1).
    """
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return  # no Info dictionary: pyHanko keeps the metadata in XMP only
    info = info_ref.get_object()
    info["/Producer"] = generic.TextStringObject(VENDOR)
    if isinstance(info_ref, generic.IndirectObject):
        writer.mark_update(info_ref)


def _reserve_for(signed_pdf: bytes) -> int:
    """Hex characters to reserve from the signature in ``signed_pdf``, with a safety margin."""
    embedded = PdfFileReader(BytesIO(signed_pdf)).embedded_signatures[-1]
    # /Contents is zero-padded up to the reservation; the DER header knows the real length.
    der_length = len(cms.ContentInfo.load(embedded.pkcs7_content).dump())
    slack = max(_RESERVE_MINIMUM_SLACK, der_length // _RESERVE_MARGIN)
    return 2 * (der_length + slack)


def _tiny_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        PageObject(
            contents=[],
            media_box=generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
