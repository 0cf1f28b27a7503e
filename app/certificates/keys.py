"""The issuing authority's signing key and certificate chain for PAdES certificates.

Production loads what the authority's CA issued (PEM files or a PKCS#12). With nothing
configured, ``ensure_chain`` creates a local chain on first start (the embedded default and
``loket keys init``). Layout of such a directory, all ECDSA P-256 except the TSA:

    signer.key, signer.pem   document-signing key (0600) and certificate (2 years)
    chain.pem                issuing CA then root: what a verifier needs besides signer.pem
    ca/root.key, ca/issuing-ca.key, root.pem, issuing-ca.pem
                             kept so the signer can be renewed under the same root; documents
                             signed earlier only stay verifiable while the root is trusted
    tsa/tsa.key, tsa/tsa.pem RSA-2048 timestamp authority for tests and development only
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from app.fsutil import exclusive_lock, fsync_path

log = logging.getLogger(__name__)

SIGNER_KEY = "signer.key"
SIGNER_CERT = "signer.pem"
CHAIN_FILE = "chain.pem"
TSA_DIR = "tsa"

# RFC 9336 id-kp-documentSigning, and Microsoft's Document Signing purpose that Adobe Acrobat
# accepts. emailProtection too, because NSS (and so poppler's pdfsig) checks a signer against
# the S/MIME usage when the certificate has an EKU extension at all.
_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
_SIGNER_EKU = (_DOCUMENT_SIGNING, _MS_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION)

_ROOT_DAYS, _CA_DAYS, _SIGNER_DAYS, _TSA_DAYS = 3652, 1826, 730, 1826
_CLOCK_SKEW = timedelta(minutes=5)
_KEY_USAGE_FLAGS = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
)  # fmt: skip

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class SigningSetupError(ValueError):
    """The signing key or chain is missing, unreadable or inconsistent."""


@dataclass(frozen=True, repr=False)
class SigningMaterial:
    """A loaded private key with its certificate and issuing chain, ready for pyHanko."""

    private_key: PrivateKey
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]  # issuer of ``certificate`` first, root last

    def __repr__(self) -> str:
        # Never the key; and asn1crypto's own repr dumps whole certificates.
        return f"SigningMaterial(signer={self.certificate.subject.human_friendly!r})"

    @property
    def roots(self) -> tuple[asn1_x509.Certificate, ...]:
        """The trust anchors: the self-signed end of the chain."""
        return (self.chain[-1],) if self.chain else (self.certificate,)

    @property
    def private_key_info(self) -> asn1_keys.PrivateKeyInfo:
        """The key in the asn1crypto form pyHanko's signer API takes."""
        return asn1_keys.PrivateKeyInfo.load(_private_pem_or_der(self.private_key, pem=False))

    def chain_pem(self) -> bytes:
        """Signer certificate, intermediates and root as one PEM bundle."""
        return b"".join(_cert_pem(cert) for cert in (self.certificate, *self.chain))

    def describe(self) -> list[dict[str, str]]:
        """One entry per certificate, signer first: role, subject, SHA-256 and expiry."""
        entries = []
        for index, cert in enumerate((self.certificate, *self.chain)):
            parsed = x509.load_der_x509_certificate(cert.dump())
            role = "signer" if index == 0 else "root" if cert is self.roots[0] else "issuing-ca"
            entries.append(
                {
                    "role": role,
                    "subject": parsed.subject.rfc4514_string(),
                    "sha256": hashlib.sha256(cert.dump()).hexdigest(),
                    "not_after": parsed.not_valid_after_utc.isoformat(),
                }
            )
        return entries

    def to_pkcs12(self, *, password: bytes | None, name: bytes = b"loket-signer") -> bytes:
        """Export key, certificate and chain as PKCS#12 (AES-256 when a password is given)."""
        encryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return pkcs12.serialize_key_and_certificates(
            name,
            self.private_key,
            _to_pyca(self.certificate),
            [_to_pyca(cert) for cert in self.chain],
            encryption,
        )


# --- creating a local chain -------------------------------------------------------------------


def init_chain(directory: Path, *, authority_name: str, force: bool = False) -> Path:
    """Create a root CA, issuing CA, signer and dev TSA in ``directory`` in one atomic rename."""
    directory = Path(directory)
    if _is_nonempty_dir(directory) and not force:
        raise _chain_exists(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        _write_chain_files(staging, authority_name=authority_name)
        if force and _is_nonempty_dir(directory):
            _move_aside(directory)
        # rename(2) replaces an empty directory but fails on a non-empty one, so a chain that
        # another process finished meanwhile is never overwritten.
        os.rename(staging, directory)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise _chain_exists(directory) from exc
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_path(directory.parent)
    log.info("created signing chain for %r in %s", authority_name, directory)
    return directory


def _chain_exists(directory: Path) -> SigningSetupError:
    return SigningSetupError(
        f"{directory} already holds a signing chain; replacing it makes every certificate "
        "signed so far unverifiable, so pass force=True (--force) only if you mean it"
    )


def ensure_chain(directory: Path, *, authority_name: str) -> SigningMaterial:
    """Load the chain in ``directory``, creating it first if missing (the embedded default)."""
    directory = Path(directory)
    if not (directory / SIGNER_CERT).exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(directory.parent / f".{directory.name}.lock"):
            # Another process or thread may have created it while we waited for the lock.
            if not (directory / SIGNER_CERT).exists():
                init_chain(directory, authority_name=authority_name)
    return load_material(directory=directory)


class _Issued(NamedTuple):
    key: PrivateKey
    cert: x509.Certificate


def _write_chain_files(target: Path, *, authority_name: str) -> None:
    org = authority_name
    root = _issue(_name(f"{org} Root CA", org), None, _ROOT_DAYS, _ca_extensions(path_length=1))
    ca_name = _name(f"{org} Document Signing CA", org)
    ca = _issue(ca_name, root, _CA_DAYS, _ca_extensions(path_length=0))
    signer_eku = x509.ExtendedKeyUsage(_SIGNER_EKU)
    signer = _issue(_name(org, org), ca, _SIGNER_DAYS, _leaf_extensions(signer_eku, critical=False))
    _write_key(target / SIGNER_KEY, signer.key)
    _write_public(target / SIGNER_CERT, _pem(signer.cert))
    _write_public(target / CHAIN_FILE, _pem(ca.cert) + _pem(root.cert))
    _write_public(target / "issuing-ca.pem", _pem(ca.cert))
    _write_public(target / "root.pem", _pem(root.cert))
    (target / "ca").mkdir(mode=0o700)
    _write_key(target / "ca" / "root.key", root.key)
    _write_key(target / "ca" / "issuing-ca.key", ca.key)
    _write_dev_tsa(target / TSA_DIR, authority_name=authority_name, root=root)


def _write_dev_tsa(target: Path, *, authority_name: str, root: _Issued) -> None:
    # RSA because pyHanko's DummyTimeStamper signs with RSA only.
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # RFC 3161 section 2.3: the timeStamping purpose must be the only one, and critical.
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    name = _name(f"{authority_name} Development Timestamp Authority", authority_name)
    tsa = _issue(name, root, _TSA_DAYS, _leaf_extensions(eku, critical=True), key=tsa_key)
    target.mkdir(mode=0o700)
    _write_key(target / "tsa.key", tsa.key)
    _write_public(target / "tsa.pem", _pem(tsa.cert) + _pem(root.cert))


def load_dev_tsa(
    directory: Path,
) -> tuple[asn1_x509.Certificate, asn1_keys.PrivateKeyInfo, tuple[asn1_x509.Certificate, ...]]:
    """The dev TSA certificate, its key and its issuers, as ``init_chain`` wrote them."""
    tsa_dir = Path(directory) / TSA_DIR
    key = _load_private_key(tsa_dir / "tsa.key", password=None)
    cert, *issuers = _load_certs(tsa_dir / "tsa.pem")
    key_info = asn1_keys.PrivateKeyInfo.load(_private_pem_or_der(key, pem=False))
    return _to_asn1(cert), key_info, tuple(_to_asn1(issuer) for issuer in issuers)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Loket local chain"),
        ]
    )


def _ca_extensions(*, path_length: int) -> list[tuple[x509.ExtensionType, bool]]:
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    return [(x509.BasicConstraints(ca=True, path_length=path_length), True), (usage, True)]


def _leaf_extensions(
    eku: x509.ExtendedKeyUsage, *, critical: bool
) -> list[tuple[x509.ExtensionType, bool]]:
    # nonRepudiation (contentCommitment) is what pyHanko's validator demands of a signer.
    usage = _key_usage(digital_signature=True, content_commitment=True)
    ca_false = x509.BasicConstraints(ca=False, path_length=None)
    return [(ca_false, True), (usage, True), (eku, critical)]


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    return x509.KeyUsage(**{**dict.fromkeys(_KEY_USAGE_FLAGS, False), **enabled})


def _issue(
    subject: x509.Name,
    issuer: _Issued | None,
    days: int,
    extensions: list[tuple[x509.ExtensionType, bool]],
    *,
    key: PrivateKey | None = None,
) -> _Issued:
    """A new key (P-256 unless given) and its certificate; ``issuer`` None means self-signed."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    signing_key = issuer.key if issuer else key
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), False
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return _Issued(key, builder.sign(signing_key, hashes.SHA256()))


# --- loading ----------------------------------------------------------------------------------


def load_material(
    *,
    key_file: Path | None = None,
    cert_file: Path | None = None,
    chain_file: Path | None = None,
    pkcs12_file: Path | None = None,
    pkcs12_password: bytes | None = None,
    key_password: bytes | None = None,
    directory: Path | None = None,
) -> SigningMaterial:
    """Load from PEM files, a PKCS#12, or an ``init_chain`` directory (exactly one of them)."""
    sources = [
        pkcs12_file is not None,
        key_file is not None or cert_file is not None,
        directory is not None,
    ]
    if sum(sources) != 1:
        raise SigningSetupError(
            "configure exactly one signing source: a PKCS#12 file, a key file with its "
            "certificate file, or a chain directory"
        )
    extra = _load_certs(Path(chain_file)) if chain_file is not None else []
    if pkcs12_file is not None:
        return _from_pkcs12(Path(pkcs12_file), pkcs12_password, extra=extra)
    if directory is not None:
        key_file, cert_file = Path(directory) / SIGNER_KEY, Path(directory) / SIGNER_CERT
        extra = _load_certs(Path(directory) / CHAIN_FILE)
    if key_file is None or cert_file is None:
        raise SigningSetupError("a signing key file needs its certificate file, and vice versa")
    key = _load_private_key(Path(key_file), password=key_password)
    certs = _load_certs(Path(cert_file))
    # A "full chain" certificate file carries the intermediates after the signer's certificate.
    return _assemble(key, certs[0], [*certs[1:], *extra], source=str(cert_file))


def _from_pkcs12(
    path: Path, password: bytes | None, *, extra: list[x509.Certificate]
) -> SigningMaterial:
    data = _read(path)
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as exc:
        raise SigningSetupError(
            f"cannot open PKCS#12 file {path}: wrong password or not a PKCS#12 file"
        ) from exc
    if key is None or cert is None:
        raise SigningSetupError(
            f"PKCS#12 file {path} must hold both a private key and its certificate"
        )
    return _assemble(key, cert, [*chain, *extra], source=str(path))


def _assemble(
    key: object, cert: x509.Certificate, others: Sequence[x509.Certificate], *, source: str
) -> SigningMaterial:
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningSetupError(f"signing key for {source} must be an EC or RSA private key")
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise SigningSetupError(
            f"the private key does not match the certificate {cert.subject.rfc4514_string()} "
            f"({source}); check that key and certificate files belong together"
        )
    chain = _order_chain(cert, others, source=source)
    return SigningMaterial(
        private_key=key,
        certificate=_to_asn1(cert),
        chain=tuple(_to_asn1(link) for link in chain),
    )


def _order_chain(
    cert: x509.Certificate, others: Sequence[x509.Certificate], *, source: str
) -> list[x509.Certificate]:
    """Follow issuers from ``cert`` up to a self-signed root, checking every signature."""
    chain: list[x509.Certificate] = []
    current = cert
    while not _issued_by(current, current):
        issuer = next((c for c in others if c not in chain and _issued_by(current, c)), None)
        if issuer is None:
            raise SigningSetupError(
                f"the chain for {source} stops at {current.subject.rfc4514_string()}: add its "
                "issuing CA certificates up to and including the root to the chain file"
            )
        chain.append(issuer)
        current = issuer
    return chain


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _load_private_key(path: Path, *, password: bytes | None) -> PrivateKey:
    data = _read(path)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("signing key %s is readable by other users; chmod 600 it", path)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except (ValueError, TypeError) as exc:  # TypeError: encrypted without a password, or vice versa
        raise SigningSetupError(f"cannot read private key {path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningSetupError(f"private key {path} must be an EC or RSA key")
    return key


def _load_certs(path: Path) -> list[x509.Certificate]:
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningSetupError(f"cannot read certificate file {path}: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningSetupError(f"signing file {path} does not exist") from exc
    except OSError as exc:
        raise SigningSetupError(f"cannot read signing file {path}: {exc.strerror}") from exc


# --- small helpers ----------------------------------------------------------------------------


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _to_pyca(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _cert_pem(cert: asn1_x509.Certificate) -> bytes:
    return _pem(_to_pyca(cert))


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _private_pem_or_der(key: PrivateKey, *, pem: bool) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM if pem else serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_key(path: Path, key: PrivateKey) -> None:
    _write_new(path, _private_pem_or_der(key, pem=True), mode=0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write_new(path, data, mode=0o644)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    # O_EXCL with the final mode: a key file is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _is_nonempty_dir(directory: Path) -> bool:
    return directory.is_dir() and any(directory.iterdir())


def _move_aside(directory: Path) -> None:
    # Keep the replaced keys rather than delete them: documents signed with them may still need
    # their chain, and deleting a key is not something to do implicitly.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = directory.with_name(f"{directory.name}.replaced-{stamp}")
    os.rename(directory, aside)
    log.warning("moved the previous signing chain to %s", aside)
