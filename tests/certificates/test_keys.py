"""The issuing chain: creation, loading from every source, clear errors, concurrent first start."""

from __future__ import annotations

import multiprocessing
import stat
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from app.certificates.keys import (
    SigningMaterial,
    SigningSetupError,
    ensure_chain,
    init_chain,
    load_dev_tsa,
    load_material,
)
from tests.certificates.pdfs import signer_sha256_after_ensure

AUTHORITY = "Dinas Uji"


@pytest.fixture(scope="module")
def chain_dir(tmp_path_factory) -> Path:
    return init_chain(tmp_path_factory.mktemp("chain") / "certificates", authority_name=AUTHORITY)


@pytest.fixture(scope="module")
def material(chain_dir) -> SigningMaterial:
    return load_material(directory=chain_dir)


def _public_der(material: SigningMaterial) -> bytes:
    return material.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_init_chain_writes_keys_private_and_certificates_public(chain_dir):
    for key in ("signer.key", "ca/root.key", "ca/issuing-ca.key", "tsa/tsa.key"):
        assert stat.S_IMODE((chain_dir / key).stat().st_mode) == 0o600, key
    for cert in ("signer.pem", "chain.pem", "root.pem", "issuing-ca.pem", "tsa/tsa.pem"):
        assert (chain_dir / cert).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(chain_dir.stat().st_mode) == 0o700
    # No staging directory left next to it.
    assert [p.name for p in chain_dir.parent.iterdir()] == ["certificates"]


def test_describe_lists_signer_issuing_ca_and_root(material):
    entries = material.describe()
    assert [e["role"] for e in entries] == ["signer", "issuing-ca", "root"]
    assert entries[0]["subject"].endswith(f"CN={AUTHORITY}")
    assert "CN=Dinas Uji Root CA" in entries[2]["subject"]
    assert all(len(e["sha256"]) == 64 for e in entries)
    lifetimes = [datetime.fromisoformat(e["not_after"]) - datetime.now(UTC) for e in entries]
    assert timedelta(days=725) < lifetimes[0] < timedelta(days=731)
    assert timedelta(days=1820) < lifetimes[1] < timedelta(days=1827)
    assert timedelta(days=3645) < lifetimes[2] < timedelta(days=3653)
    assert material.roots == (material.chain[-1],)
    assert AUTHORITY in repr(material) and "BEGIN" not in repr(material)


def test_chain_pem_is_signer_then_issuers(material):
    certs = x509.load_pem_x509_certificates(material.chain_pem())
    assert [c.subject.rfc4514_string() for c in certs] == [
        e["subject"] for e in material.describe()
    ]


def test_signer_certificate_suits_document_signing(material):
    cert = x509.load_der_x509_certificate(material.certificate.dump())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    purposes = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ObjectIdentifier("1.3.6.1.5.5.7.3.36") in purposes  # RFC 9336 documentSigning
    assert ObjectIdentifier("1.3.6.1.4.1.311.10.3.12") in purposes
    assert isinstance(cert.public_key(), type(material.private_key.public_key()))
    assert cert.public_key().curve.name == "secp256r1"


def test_dev_tsa_is_rsa_with_critical_time_stamping_under_the_same_root(chain_dir, material):
    tsa_cert, tsa_key, issuers = load_dev_tsa(chain_dir)
    assert tsa_key.algorithm == "rsa"
    assert [c.dump() for c in issuers] == [c.dump() for c in material.roots]
    cert = x509.load_der_x509_certificate(tsa_cert.dump())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_init_chain_refuses_to_overwrite(chain_dir):
    before = (chain_dir / "signer.pem").read_bytes()
    with pytest.raises(SigningSetupError, match="already holds a signing chain"):
        init_chain(chain_dir, authority_name="Someone Else")
    assert (chain_dir / "signer.pem").read_bytes() == before


def test_init_chain_force_replaces_and_keeps_the_old_chain_aside(tmp_path):
    directory = init_chain(tmp_path / "certs", authority_name=AUTHORITY)
    old = (directory / "signer.pem").read_bytes()
    init_chain(directory, authority_name=AUTHORITY, force=True)
    assert (directory / "signer.pem").read_bytes() != old
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("certs.replaced-")]
    assert len(aside) == 1 and (aside[0] / "signer.pem").read_bytes() == old


def test_init_chain_accepts_an_existing_empty_directory(tmp_path):
    (tmp_path / "certs").mkdir()
    init_chain(tmp_path / "certs", authority_name=AUTHORITY)
    assert (tmp_path / "certs" / "signer.key").is_file()


def test_load_from_explicit_pem_files_matches_the_directory(chain_dir, material):
    loaded = load_material(
        key_file=chain_dir / "signer.key",
        cert_file=chain_dir / "signer.pem",
        chain_file=chain_dir / "chain.pem",
    )
    assert loaded.describe() == material.describe()
    assert _public_der(loaded) == _public_der(material)


def test_load_accepts_a_full_chain_certificate_file_in_any_order(chain_dir, material, tmp_path):
    bundle = tmp_path / "fullchain.pem"
    signer = (chain_dir / "signer.pem").read_bytes()
    bundle.write_bytes(signer + (chain_dir / "root.pem").read_bytes()
                       + (chain_dir / "issuing-ca.pem").read_bytes())  # fmt: skip
    loaded = load_material(key_file=chain_dir / "signer.key", cert_file=bundle)
    assert loaded.describe() == material.describe()


def test_pkcs12_round_trip(material, tmp_path):
    path = tmp_path / "signer.p12"
    path.write_bytes(material.to_pkcs12(password=b"rahasia"))
    loaded = load_material(pkcs12_file=path, pkcs12_password=b"rahasia")
    assert loaded.certificate.dump() == material.certificate.dump()
    assert [c.dump() for c in loaded.chain] == [c.dump() for c in material.chain]
    assert _public_der(loaded) == _public_der(material)


def test_pkcs12_without_password_and_with_a_wrong_one(material, tmp_path):
    path = tmp_path / "open.p12"
    path.write_bytes(material.to_pkcs12(password=None))
    assert load_material(pkcs12_file=path).describe() == material.describe()
    locked = tmp_path / "locked.p12"
    locked.write_bytes(material.to_pkcs12(password=b"rahasia"))
    with pytest.raises(SigningSetupError, match="wrong password"):
        load_material(pkcs12_file=locked, pkcs12_password=b"salah")


def test_key_that_does_not_match_the_certificate_is_a_clear_error(chain_dir, tmp_path):
    other = init_chain(tmp_path / "other", authority_name="Other")
    with pytest.raises(SigningSetupError, match="does not match the certificate"):
        load_material(
            key_file=other / "signer.key",
            cert_file=chain_dir / "signer.pem",
            chain_file=chain_dir / "chain.pem",
        )


def test_missing_and_incomplete_files_are_clear_errors(chain_dir, tmp_path):
    with pytest.raises(SigningSetupError, match="does not exist"):
        load_material(key_file=tmp_path / "nope.key", cert_file=chain_dir / "signer.pem")
    with pytest.raises(SigningSetupError, match="issuing CA certificates up to and including"):
        load_material(key_file=chain_dir / "signer.key", cert_file=chain_dir / "signer.pem")
    with pytest.raises(SigningSetupError, match="needs its certificate file"):
        load_material(key_file=chain_dir / "signer.key")
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(SigningSetupError, match="cannot read certificate file"):
        load_material(key_file=chain_dir / "signer.key", cert_file=tmp_path / "junk.pem")


def test_exactly_one_source(chain_dir):
    with pytest.raises(SigningSetupError, match="exactly one signing source"):
        load_material()
    with pytest.raises(SigningSetupError, match="exactly one signing source"):
        load_material(directory=chain_dir, pkcs12_file=chain_dir / "x.p12")


def test_encrypted_pem_key_needs_its_password(material, chain_dir, tmp_path):
    key_file = tmp_path / "encrypted.key"
    key_file.write_bytes(
        material.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"rahasia"),
        )
    )
    files = {"key_file": key_file, "cert_file": chain_dir / "signer.pem",
             "chain_file": chain_dir / "chain.pem"}  # fmt: skip
    with pytest.raises(SigningSetupError, match="cannot read private key"):
        load_material(**files)
    assert load_material(**files, key_password=b"rahasia").describe() == material.describe()


def test_ensure_chain_creates_once_then_loads(tmp_path):
    first = ensure_chain(tmp_path / "certs", authority_name=AUTHORITY)
    again = ensure_chain(tmp_path / "certs", authority_name="Renamed Later")
    assert again.describe() == first.describe()


def test_concurrent_ensure_chain_from_four_threads_gives_one_chain(tmp_path):
    directory = tmp_path / "data" / "certificates"
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda _: ensure_chain(directory, authority_name=AUTHORITY), range(4))
        )
    assert len({r.describe()[0]["sha256"] for r in results}) == 1
    siblings = sorted(p.name for p in directory.parent.iterdir())
    assert siblings == [".certificates.lock", "certificates"]


def test_concurrent_ensure_chain_from_four_processes_gives_one_chain(tmp_path):
    directory = str(tmp_path / "certificates")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        fingerprints = set(pool.map(signer_sha256_after_ensure, [directory] * 4))
    assert len(fingerprints) == 1
    assert not any(p.name.startswith(".certificates-") for p in tmp_path.iterdir())
