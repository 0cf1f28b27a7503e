"""Certificate pipeline benchmark: Loket's fast path and full render against a naive baseline.

    .venv/bin/python bench/certificates.py [--count 100] [--naive-count 50] [--worker-count N]

One run, all in-process (no database, no server), about two minutes on a 2-vCPU machine. Each
phase first waits (up to ``--quiet-wait`` s) for the machine to be idle and reports the CPU
other processes used while it ran: on a shared machine, read the figures with those.

1. Fast path, as ``CertificateIssuer.produce`` runs it (``build_issuer``'s renderer, stamper
   and signer, an ECDSA P-256 chain from ``init_chain`` in a temp dir): per certificate the
   Jinja page, line breaking, one content stream with the text and the QR code written into
   the signing revision of the template's cached static page, and the signature; B-T with the
   in-process dev timestamper (``dev_timestamper``), then B-B with a second signer. The
   warm-up lays the static page out; the run counts any later WeasyPrint layout and fallback.
2. Full render (the fallback): WeasyPrint per certificate + sign, B-T; B-B signs the same PDFs.
3. Naive baseline, defined here: per document a fresh ``weasyprint.HTML(string=...)`` with the
   stylesheet inline, a fresh ``FontConfiguration`` and an inline-SVG QR from segno, written as
   PDF/A-3b; then a fresh ``SimpleSigner.load(...)`` from an RSA-3072 PEM key (issued here under
   the same issuing CA), B-T with the same dev TSA, default signing (no ``bytes_reserved``).
4. Throughput of the fast path (B-T) in 1 worker process, then in ``--workers`` (2), each with
   its own renderer, stamper and signer, each producing N certificates after a warm-up; wall
   time from a shared start barrier to the last worker's end.
5. Peak RSS (``ru_maxrss``, cross-checked with VmHWM) of the single process after the fast path
   (read before the full render and the naive baseline run) and of each worker: goal < 250 MB.
   The workers come from a forkserver started before anything heavy is imported: Linux keeps
   ru_maxrss across exec, so a worker forked+exec'd from the big benchmark process ("spawn")
   reports the parent's size.

Goals (issue 11): naive / fast path median stamp + sign B-T >= 6x in the same run, 2 workers /
1 worker >= 1.8x certificates per second; also reported: the fast path median <= 150 ms and
naive / full render >= 4x (issue 9's goal, which the fallback still has to meet).

Every certificate gets its own facts (number, Crockford code, holder, 5 key fields, the short
verify URL the QR code carries, and a seal in certificate.json shaped like
TokenService.sign_compact_jws output with a 43-character kid, ~390 characters). The first
output of each pipeline is checked with the app's own verifier (``check_pdf``: trusted chain,
intact, timestamped) after timing.
Results go to ``bench/results/certificates-<timestamp>.json`` (gitignored).

Heavy imports (WeasyPrint, pyHanko) happen inside functions so that the workers load
only what the pipeline needs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import multiprocessing as mp
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AUTHORITY = "Pemerintah Provinsi DKI Jakarta"
ISSUER_URL = "https://loket.jakarta.go.id"
REASON = "Sertifikat {number}"
LOCATION = "Jakarta"
RSS_GOAL_MB = 250
RATIO_GOAL = 6.0  # naive / fast path (issue 11)
FULL_RATIO_GOAL = 4.0  # naive / full render (issue 9's goal; now the fallback)
SCALING_GOAL = 1.8  # certificates/s of 2 worker processes / of 1
MEDIAN_GOAL_MS = 150.0

FIRST_NAMES = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Ayu", "Hendra", "Putri", "Rudi")
LAST_NAMES = (
    "Rahmawati",
    "Santoso",
    "Wijaya",
    "Kurniawan",
    "Lestari",
    "Hidayat",
    "Pratama",
    "Saputra",
    "Nugroho",
    "Siregar",
)
STREETS = (
    "Jl. Kebon Sirih",
    "Jl. Cikini Raya",
    "Jl. Raden Saleh",
    "Jl. Pramuka",
    "Jl. Matraman Raya",
    "Jl. Salemba Raya",
)
KBLI = (
    "56102 - Rumah makan dan warung makan",
    "47111 - Perdagangan eceran minimarket",
    "96012 - Aktivitas salon kecantikan",
    "10710 - Industri produk roti dan kue",
    "45405 - Reparasi sepeda motor",
)
FIELD_LABELS = (
    ("Nama usaha", "Business name"),
    ("Alamat usaha", "Business address"),
    ("Bidang usaha (KBLI)", "Line of business (KBLI)"),
    ("Modal usaha", "Business capital"),
    ("Nomor Induk Berusaha (NIB)", "Business identification number"),
)


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (as benchlib.percentile)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "median_ms": round(statistics.median(values_ms), 1),
        "p95_ms": round(percentile(values_ms, 95), 1),
        "mean_ms": round(statistics.fmean(values_ms), 1),
        "min_ms": round(min(values_ms), 1),
        "max_ms": round(max(values_ms), 1),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _proc_status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def current_rss_mb() -> float:
    return _proc_status_mb("VmRSS")


def hwm_rss_mb() -> float:
    """Peak RSS of this process image only (VmHWM): a cross-check on ru_maxrss.

    Linux keeps ru_maxrss across exec, so a child that a big process forks and execs reports
    the parent's size as its own peak; hence the forkserver started while the parent is small.
    """
    return _proc_status_mb("VmHWM")


def _machine_busy() -> tuple[int, int]:
    """(busy jiffies, total jiffies) over all CPUs; steal time counts as busy."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def _steal() -> int:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return int(parts[7]) if len(parts) > 7 else 0


class CpuWatch:
    """CPU that processes other than this benchmark (and its joined children) used in a phase."""

    def __init__(self) -> None:
        self.tck = os.sysconf("SC_CLK_TCK")
        self.wall0 = time.monotonic()
        self.busy0, _ = _machine_busy()
        self.steal0 = _steal()
        self.own0 = self._own()

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def other_cores(self, *, extra_own_s: float = 0.0) -> float:
        """Cores used by others (including hypervisor steal); ``extra_own_s``: our CPU seconds
        in processes that are not our waited-for children (the forkserver's workers)."""
        wall = time.monotonic() - self.wall0
        busy = (_machine_busy()[0] - self.busy0) / self.tck
        own = self._own() - self.own0 + extra_own_s
        return round(max(0.0, busy - own) / max(wall, 1e-9), 2)

    def steal_cores(self) -> float:
        wall = time.monotonic() - self.wall0
        return round((_steal() - self.steal0) / self.tck / max(wall, 1e-9), 2)


def wait_for_quiet(max_wait: float, *, threshold: float = 0.25) -> float:
    """Wait up to ``max_wait`` s for a 1-s window in which the machine is < threshold busy."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = _machine_busy()
        time.sleep(1.0)
        b1, t1 = _machine_busy()
        busy = (b1 - b0) / max(1, t1 - t0)
        if busy < threshold or time.monotonic() >= deadline:
            return round(busy, 2)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --------------------------------------------------------------------------------------------
# facts
# --------------------------------------------------------------------------------------------


def make_facts(index: int, *, now: datetime):
    """Realistic, distinct facts for certificate ``index`` (what service._facts builds)."""
    from app.certificates import codes
    from app.certificates.facts import CertificateFacts

    holder = f"{FIRST_NAMES[index % 10]} {LAST_NAMES[(index // 10) % 10]}"
    number = f"DPMPTSP/IUMK/{now.year}/{index + 1:06d}"
    code = codes.new_code()
    issued = now + timedelta(seconds=index)
    valid_until = date(issued.year + 5, issued.month, min(issued.day, 28))
    # Shaped like TokenService.sign_compact_jws: ES256 header with a thumbprint kid, the claims
    # service._facts signs, and a 64-byte raw signature.
    header = {"alg": "ES256", "kid": _b64url(os.urandom(32)), "typ": "loket-cert+jwt"}
    claims = {
        "num": number,
        "code": code,
        "name": holder,
        "svc": "IUMK",
        "iat": int(issued.timestamp()),
        "exp_date": valid_until.isoformat(),
    }
    token = ".".join(
        (
            _b64url(json.dumps(header, separators=(",", ":")).encode()),
            _b64url(json.dumps(claims, separators=(",", ":")).encode()),
            _b64url(os.urandom(64)),
        )
    )
    values = (
        f"Warung {holder.split()[0]} Sejahtera {index}",
        f"{STREETS[index % len(STREETS)]} No. {10 + index % 90}, "
        f"RT 00{index % 9 + 1}/RW 0{index % 7 + 1}, "
        f"Kelurahan Menteng, Kecamatan Menteng, Kota Administrasi Jakarta Pusat 10310",
        KBLI[index % len(KBLI)],
        f"Rp {25_000_000 + 1_000_000 * (index % 50):,}".replace(",", "."),
        f"{9120000000000 + index * 7919:013d}",
    )
    return CertificateFacts(
        number=number,
        verification_code=code,
        verify_url=f"{ISSUER_URL}/verify/{code}",
        seal=token,
        authority_name=AUTHORITY,
        department_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        service_code="IUMK",
        service_name_id="Izin Usaha Mikro dan Kecil",
        service_name_en="Micro and Small Business Licence",
        holder_name=holder,
        fields=tuple((lid, len_, v) for (lid, len_), v in zip(FIELD_LABELS, values, strict=True)),
        issued_at=issued,
        valid_until=valid_until,
        approved_by="Drs. Ahmad Fauzi, M.Si.",
    )


# --------------------------------------------------------------------------------------------
# Loket's pipelines (as app.certificates.issuer.build_issuer wires them)
# --------------------------------------------------------------------------------------------


def loket_pipeline(chain_dir: Path, *, timestamped: bool = True):
    """(material, renderer, stamper, signer): one process's certificate machinery."""
    from app.certificates.fastpath import Stamper
    from app.certificates.keys import load_material
    from app.certificates.render import CertificateRenderer
    from app.certificates.signing import DocumentSigner, dev_timestamper
    from app.resources import templates_dir

    material = load_material(directory=chain_dir)
    renderer = CertificateRenderer(templates_dir=templates_dir())
    timestamper = dev_timestamper(directory=chain_dir) if timestamped else None
    signer = DocumentSigner(material, timestamper=timestamper)
    return material, renderer, Stamper(renderer), signer


def produce(stamper, renderer, signer, facts) -> tuple[bytes, bool, float]:
    """(signed PDF, stamped?, ms before signing) as CertificateIssuer.produce makes it."""
    from app.certificates.slots import CannotStamp

    t0 = time.perf_counter()
    try:
        pdf, edit = stamper.prepare(facts, template="default")
    except CannotStamp:
        pdf, edit = renderer.render(facts), None
    prepared_ms = (time.perf_counter() - t0) * 1000
    out = signer.sign(pdf, reason=REASON.format(number=facts.number), location=LOCATION, edit=edit)
    return out, edit is not None, prepared_ms


def run_fast(stamper, renderer, signer, facts_list, *, warmup: int) -> dict[str, Any]:
    """The fast path: stamp + sign per certificate (the full render when it cannot stamp)."""
    stamp_ms, sign_ms, total_ms, signed, fallbacks = [], [], [], [], 0
    layouts_after_warmup = 0
    for i, facts in enumerate(facts_list):
        if i == warmup:
            layouts_after_warmup = stamper.layouts
        t0 = time.perf_counter()
        out, was_stamped, prepared_ms = produce(stamper, renderer, signer, facts)
        total = (time.perf_counter() - t0) * 1000
        if i < warmup:
            continue
        fallbacks += not was_stamped
        stamp_ms.append(prepared_ms)
        sign_ms.append(total - prepared_ms)
        total_ms.append(total)
        signed.append(out)
    return {
        "stamp": stamp_ms,
        "sign": sign_ms,
        "total": total_ms,
        "signed": signed,
        "fallbacks": fallbacks,
        "layouts_timed": stamper.layouts - layouts_after_warmup,
        "layouts_total": stamper.layouts,
    }


def run_full(renderer, signer, facts_list, *, warmup: int) -> dict[str, Any]:
    """The full render (the fallback): a WeasyPrint render + sign per certificate."""
    render_ms, sign_ms, total_ms, unsigned, signed = [], [], [], [], []
    for i, facts in enumerate(facts_list):
        t0 = time.perf_counter()
        pdf = renderer.render(facts)
        t1 = time.perf_counter()
        out = signer.sign(pdf, reason=REASON.format(number=facts.number), location=LOCATION)
        t2 = time.perf_counter()
        if i < warmup:
            continue
        render_ms.append((t1 - t0) * 1000)
        sign_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        unsigned.append(pdf)
        signed.append(out)
    return {
        "render": render_ms,
        "sign": sign_ms,
        "total": total_ms,
        "unsigned": unsigned,
        "signed": signed,
    }


# --------------------------------------------------------------------------------------------
# the naive baseline
# --------------------------------------------------------------------------------------------


def issue_rsa_signer(chain_dir: Path, out_dir: Path) -> tuple[Path, Path, Path]:
    """An RSA-3072 document-signing certificate under init_chain's issuing CA, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    ca_key = serialization.load_pem_private_key(
        (chain_dir / "ca" / "issuing-ca.key").read_bytes(), password=None
    )
    ca_cert = x509.load_pem_x509_certificate((chain_dir / "issuing-ca.pem").read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    now = datetime.now(UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{AUTHORITY} (naive RSA-3072)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, AUTHORITY),
        ]
    )
    eku = x509.ExtendedKeyUsage(
        [ObjectIdentifier("1.3.6.1.5.5.7.3.36"), ExtendedKeyUsageOID.EMAIL_PROTECTION]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .add_extension(eku, False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    out_dir.mkdir(mode=0o700)
    key_file, cert_file = out_dir / "rsa.key", out_dir / "rsa.pem"
    chain_file = out_dir / "chain.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    shutil.copyfile(chain_dir / "chain.pem", chain_file)
    return key_file, cert_file, chain_file


class NaivePipeline:
    """Everything fresh per document; only the Jinja template and the CSS text are kept."""

    _IMG = re.compile(r'<img [^>]*src="data:image/png;base64,[^"]*"[^>]*>')

    def __init__(self, *, key_file: Path, cert_file: Path, chain_file: Path, timestamper):
        import jinja2

        from app.resources import templates_dir

        base = templates_dir()
        self.css = (base / "certificates" / "default.css").read_text()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(base), autoescape=True, undefined=jinja2.StrictUndefined
        )
        self.template = env.get_template("certificates/default.html")
        self.base_url = (base / "certificates").as_uri() + "/"
        self.key_file, self.cert_file, self.chain_file = key_file, cert_file, chain_file
        self.timestamper = timestamper

    def html(self, facts) -> str:
        import segno

        from app.certificates.render import format_date, verify_page_url
        from app.office import office_date

        issued_on = office_date(facts.issued_at)  # the office's calendar day, as Loket prints
        valid = facts.valid_until
        html = self.template.render(
            facts=facts,
            created=facts.issued_at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            issued_id=format_date(issued_on, language="id"),
            issued_en=format_date(issued_on, language="en"),
            valid_until_id=format_date(valid, language="id") if valid else None,
            valid_until_en=format_date(valid, language="en") if valid else None,
            qr_src="data:image/png;base64,",  # replaced by the inline SVG below
            verify_page=verify_page_url(facts.verify_url),
        )
        code = segno.make(facts.verify_url, error="m", micro=False)
        svg = code.svg_inline(scale=35 / code.symbol_size(border=4)[0], unit="mm", border=4)
        html, replaced = self._IMG.subn(lambda _m: svg, html, count=1)
        if not replaced:
            raise RuntimeError("the template's QR <img> tag was not found")
        return html.replace("</head>", f"<style>{self.css}</style>\n</head>", 1)

    def render(self, facts) -> bytes:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from app.certificates.render import ATTACHMENT_NAME, canonical_json

        issued = facts.issued_at_utc
        attachment = weasyprint.Attachment(  # same associated file as Loket, for equal output
            string=canonical_json(facts.as_json()),
            name=ATTACHMENT_NAME,
            created=issued,
            modified=issued,
            relationship="Data",
        )
        return weasyprint.HTML(string=self.html(facts), base_url=self.base_url).write_pdf(
            font_config=FontConfiguration(), pdf_variant="pdf/a-3b", attachments=[attachment]
        )

    def sign(self, pdf: bytes, *, number: str) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

        signer = signers.SimpleSigner.load(
            str(self.key_file), str(self.cert_file), ca_chain_files=(str(self.chain_file),)
        )
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=REASON.format(number=number),
            location=LOCATION,
            certify=True,
            docmdp_permissions=MDPPerm.NO_CHANGES,
        )
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf)),
            meta,
            signer=signer,
            timestamper=self.timestamper,
        )
        return out.getvalue()


def run_naive(naive: NaivePipeline, facts_list, *, warmup: int) -> dict[str, Any]:
    render_ms, sign_ms, total_ms, unsigned, signed = [], [], [], [], []
    for i, facts in enumerate(facts_list):
        t0 = time.perf_counter()
        pdf = naive.render(facts)
        t1 = time.perf_counter()
        out = naive.sign(pdf, number=facts.number)
        t2 = time.perf_counter()
        if i < warmup:
            continue
        render_ms.append((t1 - t0) * 1000)
        sign_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        unsigned.append(pdf)
        signed.append(out)
    return {
        "render": render_ms,
        "sign": sign_ms,
        "total": total_ms,
        "unsigned": unsigned,
        "signed": signed,
    }


# --------------------------------------------------------------------------------------------
# sanity checks on the outputs (untimed)
# --------------------------------------------------------------------------------------------


def _pdfa_id(pdf: bytes) -> tuple[str, str] | None:
    """(part, conformance) from the XMP metadata of the last revision."""
    import pikepdf

    with pikepdf.open(BytesIO(pdf)) as doc:
        if "/Metadata" not in doc.Root:
            return None
        xmp = doc.Root.Metadata.read_bytes().decode("utf-8", "replace")
    part = re.search(r'pdfaid:part(?:="|>)(\d)', xmp)
    conformance = re.search(r'pdfaid:conformance(?:="|>)([ABU])', xmp)
    return (part.group(1), conformance.group(1)) if part and conformance else None


def check_output(signed: bytes, material) -> dict[str, Any]:
    """The app's own verdict, plus a trusted signature timestamp and the PDF/A-3b id."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.certificates.verify import check_pdf

    verdict = check_pdf(signed, material=material)
    embedded = PdfFileReader(BytesIO(signed)).embedded_signatures[0]
    context = ValidationContext(
        trust_roots=list(material.roots),
        other_certs=list(material.chain),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    status = validate_pdf_signature(embedded, signer_validation_context=context)
    tst = status.timestamp_validity
    return {
        "authentic": verdict.authentic,
        "reason": verdict.reason,
        "signer": verdict.signer_subject,
        "bottom_line": status.bottom_line,
        "timestamped": bool(tst is not None and tst.intact and tst.valid and tst.trusted),
        "pdfa_3b": _pdfa_id(signed) == ("3", "B"),
        "attachment": verdict.attachment is not None,
    }


# --------------------------------------------------------------------------------------------
# worker processes
# --------------------------------------------------------------------------------------------


def worker_main(worker_id: int, chain_dir: str, count: int, warmup: int, barrier, results) -> None:
    """One worker process: its own renderer, stamper and B-T signer, N certificates after a
    warm-up (which lays out the template's static page)."""
    try:
        _material, renderer, stamper, signer = loket_pipeline(Path(chain_dir), timestamped=True)
        now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        base = 100_000 * (worker_id + 1)
        facts_list = [make_facts(base + i, now=now) for i in range(warmup + count)]
        for facts in facts_list[:warmup]:
            produce(stamper, renderer, signer, facts)
        rss_after_warmup = current_rss_mb()
        layouts = stamper.layouts
        barrier.wait(timeout=300)
        start = time.monotonic()
        totals, sizes, stamped = [], [], 0
        for facts in facts_list[warmup:]:
            t0 = time.perf_counter()
            out, was_stamped, _ = produce(stamper, renderer, signer, facts)
            totals.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(out))
            stamped += was_stamped
        end = time.monotonic()
        results.put(
            {
                "worker": worker_id,
                "pid": os.getpid(),
                "start": start,
                "end": end,
                "certificates": count,
                "stamped": stamped,
                "layouts_timed": stamper.layouts - layouts,
                "render_sign": summary(totals),
                "signed_kb_median": round(statistics.median(sizes) / 1024, 1),
                "rss_after_warmup_mb": rss_after_warmup,
                "rss_end_mb": current_rss_mb(),
                "peak_rss_mb": peak_rss_mb(),
                "vm_hwm_mb": hwm_rss_mb(),
                "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
            }
        )
    except BaseException as exc:  # report instead of hanging the parent
        results.put({"worker": worker_id, "error": f"{type(exc).__name__}: {exc}"})
        with contextlib.suppress(Exception):
            barrier.abort()
        raise


def run_workers(chain_dir: Path, *, workers: int, count: int, warmup: int) -> dict[str, Any]:
    # Forked from the forkserver main() started while still small: a fresh, small process each
    # (spawn would fork+exec from this big process, and ru_maxrss would report its size).
    ctx = mp.get_context("forkserver")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=worker_main,
            name=f"cert-bench-{i}",
            args=(i, str(chain_dir), count, warmup, barrier, results),
        )
        for i in range(workers)
    ]
    watch = CpuWatch()  # children's CPU counts as ours once they are joined
    for proc in procs:
        proc.start()
    reports: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 600
        while len(reports) < workers and time.monotonic() < deadline:
            try:
                reports.append(results.get(timeout=5))
            except Exception:  # queue.Empty
                if not any(p.is_alive() for p in procs) and results.empty():
                    break
        for proc in procs:
            proc.join(timeout=30)
    finally:
        for proc in procs:  # only our own children, by object
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)
    errors = [r for r in reports if "error" in r]
    if errors or len(reports) < workers:
        raise RuntimeError(f"worker failure: {errors or 'missing reports'}")
    reports.sort(key=lambda r: r["worker"])
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    total = sum(r["certificates"] for r in reports)
    return {
        "workers": workers,
        "certificates_per_worker": count,
        "warmup_per_worker": warmup,
        "wall_s": round(wall, 2),
        "certificates_per_s": round(total / wall, 1),
        "per_worker": reports,
        "other_cpu_cores": watch.other_cores(extra_own_s=sum(r["cpu_s"] for r in reports)),
        "steal_cores": watch.steal_cores(),
    }


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def _fmt_row(name: str, stats: dict[str, float]) -> str:
    return f"  {name:<30} {stats['median_ms']:>8.1f} {stats['p95_ms']:>8.1f}   (n={stats['n']})"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=100, help="timed certificates per Loket pipeline (100)"
    )
    parser.add_argument(
        "--naive-count",
        type=int,
        default=50,
        help="timed certificates for the naive baseline (default 50, ~0.8 s each)",
    )
    parser.add_argument(
        "--worker-count",
        type=int,
        default=None,
        help="certificates per worker process in the throughput runs (default: 2 x --count)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30,
        help="wait up to this many s for the machine to be idle before each phase",
    )
    return parser.parse_args()


class Phase:
    """One timed phase: how busy the machine was just before, and what others used during it."""

    def __init__(self, name: str, quiet_wait: float) -> None:
        self.name = name
        self.busy_before = wait_for_quiet(quiet_wait)
        if self.busy_before >= 0.25:
            log(f"WARNING: machine still {self.busy_before:.0%} busy before the {name} run")
        self.watch = CpuWatch()
        self.other = self.steal = 0.0

    def end(self, *, extra_own_s: float = 0.0) -> None:
        self.other = self.watch.other_cores(extra_own_s=extra_own_s)
        self.steal = self.watch.steal_cores()
        if self.other > 0.2:
            log(f"WARNING: other processes used {self.other} cores during the {self.name} run")

    def as_dict(self) -> dict[str, float]:
        return {
            "busy_before": self.busy_before,
            "other_cores": self.other,
            "steal_cores": self.steal,
        }


def _single_process(args, chain_dir: Path, facts: list, tmp: Path) -> dict[str, Any]:
    """The fast path, the full render and the naive baseline, one after the other."""
    from app.certificates.keys import load_material
    from app.certificates.signing import dev_timestamper

    material, renderer, stamper, signer_bt = loket_pipeline(chain_dir, timestamped=True)
    _m, _r, _s, signer_bb = loket_pipeline(chain_dir, timestamped=False)
    phases: dict[str, Phase] = {}

    log(f"fast path: {args.warmup} warm-up + {args.count} certificates (stamp + sign B-T) ...")
    phases["fast"] = Phase("fast path", args.quiet_wait)
    fast = run_fast(stamper, renderer, signer_bt, facts, warmup=args.warmup)
    phases["fast"].end()
    fast_bb = run_fast(stamper, renderer, signer_bb, facts, warmup=args.warmup)
    rss = {"after_fast": peak_rss_mb(), "after_fast_vm_hwm": hwm_rss_mb()}

    log(f"full render: {args.warmup} warm-up + {args.count} certificates (render + sign B-T) ...")
    phases["full"] = Phase("full render", args.quiet_wait)
    full = run_full(renderer, signer_bt, facts, warmup=args.warmup)
    phases["full"].end()
    for pdf in full["unsigned"][: args.warmup]:  # B-B: sign the same rendered PDFs
        signer_bb.sign(pdf, reason="warm-up", location=LOCATION)
    full_bb_ms, full_bb = [], []
    for pdf, f in zip(full["unsigned"], facts[args.warmup :], strict=True):
        t0 = time.perf_counter()
        full_bb.append(
            signer_bb.sign(pdf, reason=REASON.format(number=f.number), location=LOCATION)
        )
        full_bb_ms.append((time.perf_counter() - t0) * 1000)
    rss.update(after_full=peak_rss_mb(), after_full_vm_hwm=hwm_rss_mb(), current=current_rss_mb())
    tsa_ms = []  # what the in-process dev TSA alone costs per B-T signature
    for _ in range(20):
        t0 = time.perf_counter()
        asyncio.run(signer_bt.timestamper.async_timestamp(os.urandom(32), "sha256"))
        tsa_ms.append((time.perf_counter() - t0) * 1000)

    key_file, cert_file, chain_file = issue_rsa_signer(chain_dir, tmp / "naive")
    naive = NaivePipeline(
        key_file=key_file,
        cert_file=cert_file,
        chain_file=chain_file,
        timestamper=dev_timestamper(directory=chain_dir),
    )
    naive_warmup = min(2, args.warmup)
    log(f"naive: {naive_warmup} warm-up + {args.naive_count} certificates ...")
    phases["naive"] = Phase("naive", args.quiet_wait)
    base = run_naive(naive, facts[: naive_warmup + args.naive_count], warmup=naive_warmup)
    phases["naive"].end()
    rss["after_naive"] = peak_rss_mb()

    naive_material = load_material(key_file=key_file, cert_file=cert_file, chain_file=chain_file)
    checks = {
        "fast_bt": check_output(fast["signed"][0], material),
        "fast_bb": check_output(fast_bb["signed"][0], material),
        "full_bt": check_output(full["signed"][0], material),
        "full_bb": check_output(full_bb[0], material),
        "naive_bt": check_output(base["signed"][0], naive_material),
    }
    return {
        "fast": fast,
        "fast_bb": fast_bb,
        "full": full,
        "full_bb_ms": full_bb_ms,
        "full_bb": full_bb,
        "tsa_ms": tsa_ms,
        "naive": base,
        "naive_warmup": naive_warmup,
        "rss": rss,
        "checks": checks,
        "phases": {name: phase.as_dict() for name, phase in phases.items()},
        "reserved_hex": {"bt": signer_bt.bytes_reserved, "bb": signer_bb.bytes_reserved},
    }


def _throughput(args, chain_dir: Path, count: int) -> dict[str, Any]:
    """One worker process, then ``--workers`` of them, on the fast path (B-T)."""
    runs = {}
    for workers in (1, args.workers):
        log(f"throughput: {workers} worker process(es) x {count} certificates ...")
        phase = Phase(f"{workers}-worker", args.quiet_wait)
        run = run_workers(chain_dir, workers=workers, count=count, warmup=args.warmup)
        phase.end(extra_own_s=sum(r["cpu_s"] for r in run["per_worker"]))
        run["busy_before"] = phase.busy_before
        runs[workers] = run
    one, many = runs[1], runs[args.workers]
    return {
        "one": one,
        "many": many,
        "scaling": round(many["certificates_per_s"] / one["certificates_per_s"], 2),
    }


def _goals(stats: dict[str, Any], measured: dict[str, Any], throughput: dict[str, Any]) -> dict:
    fast = stats["fast"]["stamp_sign_bt"]
    full = stats["full"]["render_sign_bt"]
    naive = stats["naive"]["render_sign_bt"]
    ratio = naive["median_ms"] / fast["median_ms"]
    workers = [*throughput["one"]["per_worker"], *throughput["many"]["per_worker"]]
    rss_max = max(
        measured["rss"]["after_fast"],
        measured["rss"]["after_fast_vm_hwm"],
        *(w["peak_rss_mb"] for w in workers),
        *(w["vm_hwm_mb"] for w in workers),
    )
    checks = measured["checks"]
    authentic = all(c["authentic"] for c in checks.values()) and all(
        checks[k]["timestamped"] for k in ("fast_bt", "full_bt", "naive_bt")
    )

    def goal(value, text, passed):
        return {"value": value, "goal": text, "pass": bool(passed)}

    return {
        "ratio_naive_over_fast_median": goal(
            round(ratio, 2), f">= {RATIO_GOAL}", ratio >= RATIO_GOAL
        ),
        "ratio_naive_over_full_median": goal(
            round(naive["median_ms"] / full["median_ms"], 2),
            f">= {FULL_RATIO_GOAL}",
            naive["median_ms"] / full["median_ms"] >= FULL_RATIO_GOAL,
        ),
        "fast_median_stamp_sign_bt_ms": goal(
            fast["median_ms"], f"<= {MEDIAN_GOAL_MS}", fast["median_ms"] <= MEDIAN_GOAL_MS
        ),
        "two_over_one_worker": goal(
            throughput["scaling"], f">= {SCALING_GOAL}", throughput["scaling"] >= SCALING_GOAL
        ),
        "peak_rss_mb_loket_processes": goal(rss_max, f"< {RSS_GOAL_MB}", rss_max < RSS_GOAL_MB),
        "outputs_authentic_and_timestamped": goal(authentic, "true", authentic),
    }


def _stats(measured: dict[str, Any]) -> dict[str, Any]:
    fast, fast_bb, full, base = (measured[k] for k in ("fast", "fast_bb", "full", "naive"))
    return {
        "fast": {
            "stamp": summary(fast["stamp"]),
            "sign_bt": summary(fast["sign"]),
            "stamp_sign_bt": summary(fast["total"]),
            "stamp_sign_bb": summary(fast_bb["total"]),
            "fallbacks": fast["fallbacks"] + fast_bb["fallbacks"],
            "weasyprint_layouts": {
                "timed": fast["layouts_timed"] + fast_bb["layouts_timed"],
                "total": fast_bb["layouts_total"],
            },
        },
        "full": {
            "render": summary(full["render"]),
            "sign_bt": summary(full["sign"]),
            "render_sign_bt": summary(full["total"]),
            "sign_bb": summary(measured["full_bb_ms"]),
            "render_sign_bb_derived": summary(
                [r + s for r, s in zip(full["render"], measured["full_bb_ms"], strict=True)]
            ),
        },
        "dev_tsa_token_only": summary(measured["tsa_ms"]),
        "naive": {
            "render": summary(base["render"]),
            "sign_bt": summary(base["sign"]),
            "render_sign_bt": summary(base["total"]),
        },
    }


def main() -> int:
    args = _arguments()
    worker_count = args.worker_count or 2 * args.count
    started = time.monotonic()
    # Before anything heavy is imported: the workers are forked from this small server process.
    import multiprocessing.forkserver

    multiprocessing.forkserver.ensure_running()

    log(f"machine busy before start: {wait_for_quiet(args.quiet_wait):.0%} of all cores")
    t = time.perf_counter()
    from importlib.metadata import version

    import pyhanko.sign  # noqa: F401
    import weasyprint  # noqa: F401

    from app.certificates.keys import init_chain

    import_s = time.perf_counter() - t

    tmp = Path(tempfile.mkdtemp(prefix="loket-cert-bench-"))
    try:
        chain_dir = init_chain(tmp / "chain", authority_name=AUTHORITY)
        now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        facts = [make_facts(i, now=now) for i in range(args.warmup + args.count)]
        measured = _single_process(args, chain_dir, facts, tmp)
        throughput = _throughput(args, chain_dir, worker_count)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    stats = _stats(measured)
    goals = _goals(stats, measured, throughput)
    kb = lambda blobs: round(statistics.median(len(b) for b in blobs) / 1024, 1)  # noqa: E731
    result = {
        "benchmark": "certificates",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "phases": measured["phases"]},
        "versions": {
            "python": sys.version.split()[0],
            **{
                p: version(p)
                for p in ("weasyprint", "pyHanko", "pyhanko-certvalidator", "cryptography", "segno")
            },
        },
        "setup": {
            "imports_s": round(import_s, 2),
            "verify_url_chars": statistics.median(len(f.verify_url) for f in facts),
            "token_chars": statistics.median(len(f.verify_url.split("?t=", 1)[1]) for f in facts),
            "key_fields": len(facts[0].fields),
            "warmup": args.warmup,
            "naive_warmup": measured["naive_warmup"],
            "signature_hex_reserved": measured["reserved_hex"],
        },
        **stats,
        "sizes_kb_median": {
            "fast_bt": kb(measured["fast"]["signed"]),
            "full_unsigned": kb(measured["full"]["unsigned"]),
            "full_bt": kb(measured["full"]["signed"]),
            "naive_unsigned": kb(measured["naive"]["unsigned"]),
            "naive_bt": kb(measured["naive"]["signed"]),
        },
        "throughput": throughput,
        "rss_mb": {
            **{f"single_process_{k}": v for k, v in measured["rss"].items()},
            "workers_peak": [
                w["peak_rss_mb"] for r in ("one", "many") for w in throughput[r]["per_worker"]
            ],
            "workers_vm_hwm": [
                w["vm_hwm_mb"] for r in ("one", "many") for w in throughput[r]["per_worker"]
            ],
        },
        "checks": measured["checks"],
        "goals": goals,
        "total_runtime_s": round(time.monotonic() - started, 1),
    }
    report(result, args, worker_count)
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"certificates-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)} (total {result['total_runtime_s']} s)")
    return 0


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def report(result: dict[str, Any], args, worker_count: int) -> None:
    fast, full, naive = result["fast"], result["full"], result["naive"]
    setup, goals, throughput = result["setup"], result["goals"], result["throughput"]
    print()
    print(
        f"Certificates: verify URL ~{setup['verify_url_chars']:.0f} chars (token "
        f"~{setup['token_chars']:.0f}), {setup['key_fields']} key fields; Loket n={args.count}, "
        f"naive n={args.naive_count}, after warm-up"
    )
    print(f"  {'ms per certificate':<30} {'median':>8} {'p95':>8}")
    print("Fast path (static page cached per shape, text + QR stamped in the signing revision)")
    print(_fmt_row("stamp (before signing)", fast["stamp"]))
    print(_fmt_row("sign B-T", fast["sign_bt"]))
    print(_fmt_row("stamp + sign B-T", fast["stamp_sign_bt"]))
    print(_fmt_row("stamp + sign B-B", fast["stamp_sign_bb"]))
    layouts = fast["weasyprint_layouts"]
    print(
        f"  fell back to the full render: {fast['fallbacks']}; WeasyPrint layouts: "
        f"{layouts['timed']} in the timed runs, {layouts['total']} in all"
    )
    print("Full render (the fallback: WeasyPrint per certificate, kept key, PNG QR)")
    print(_fmt_row("render", full["render"]))
    print(_fmt_row("sign B-T", full["sign_bt"]))
    print(_fmt_row("render + sign B-T", full["render_sign_bt"]))
    print(_fmt_row("sign B-B", full["sign_bb"]))
    print(_fmt_row("render + sign B-B (sum)", full["render_sign_bb_derived"]))
    print(_fmt_row("(dev TSA token alone)", result["dev_tsa_token_only"]))
    print("Naive (fresh HTML/FontConfiguration, inline SVG QR; fresh RSA-3072 SimpleSigner.load)")
    print(_fmt_row("render", naive["render"]))
    print(_fmt_row("sign B-T", naive["sign_bt"]))
    print(_fmt_row("render + sign B-T", naive["render_sign_bt"]))
    sizes = result["sizes_kb_median"]
    print(
        f"Sizes (KB, median): fast B-T {sizes['fast_bt']}; full unsigned "
        f"{sizes['full_unsigned']}, B-T {sizes['full_bt']}; naive unsigned "
        f"{sizes['naive_unsigned']}, B-T {sizes['naive_bt']}"
    )
    for key in ("one", "many"):
        run = throughput[key]
        print(
            f"Throughput, {run['workers']} process(es) x {worker_count} certificates (fast, B-T): "
            f"{run['certificates_per_s']} certificates/s (wall {run['wall_s']} s; other processes "
            f"{run['other_cpu_cores']} cores, steal {run['steal_cores']})"
        )
        for w in run["per_worker"]:
            print(
                f"  worker {w['worker']}: median {w['render_sign']['median_ms']} ms, p95 "
                f"{w['render_sign']['p95_ms']} ms, stamped {w['stamped']}/{w['certificates']}; "
                f"RSS after warm-up {w['rss_after_warmup_mb']} MB, at end {w['rss_end_mb']} MB, "
                f"peak {w['peak_rss_mb']} MB (VmHWM {w['vm_hwm_mb']})"
            )
    rss = result["rss_mb"]
    print(
        f"Peak RSS single process: {rss['single_process_after_fast']} MB after the fast path, "
        f"{rss['single_process_after_full']} MB after the full render too, "
        f"{rss['single_process_after_naive']} MB after the naive run"
    )
    print("Output checks (app.certificates.verify.check_pdf + timestamp + PDF/A-3b id):")
    for name, c in result["checks"].items():
        print(
            f"  {name}: authentic={c['authentic']} ({c['reason']}), "
            f"timestamped={c['timestamped']}, pdfa-3b={c['pdfa_3b']}"
        )
    phases = result["machine"]["phases"]
    print(
        "Machine: "
        + "; ".join(
            f"{name} run: {p['busy_before']:.0%} busy before, others used {p['other_cores']} cores"
            f" (steal {p['steal_cores']})"
            for name, p in phases.items()
        )
    )
    print("Goals:")
    rows = (
        ("ratio_naive_over_fast_median", "naive / fast path, stamp + sign B-T median", "x"),
        ("two_over_one_worker", f"{args.workers} workers / 1 worker, certificates/s", "x"),
        ("fast_median_stamp_sign_bt_ms", "fast path stamp + sign B-T median", " ms"),
        ("ratio_naive_over_full_median", "naive / full render (the fallback, issue 9)", "x"),
        ("peak_rss_mb_loket_processes", "peak RSS per Loket process", " MB"),
        ("outputs_authentic_and_timestamped", "outputs authentic and timestamped", ""),
    )
    for key, label, unit in rows:
        g = goals[key]
        print(f"  {label}: {g['value']}{unit}, goal {g['goal']}{unit}: {_verdict(g['pass'])}")


if __name__ == "__main__":
    sys.exit(main())
