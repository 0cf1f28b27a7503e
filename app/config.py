"""Settings from the environment (prefix ``LOKET_``) or a ``.env`` file.

With no configuration at all Loket runs embedded: SQLite and files under ``./var``.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOKET_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    db_pool_size: int = 16
    # Threads per process that run JSON requests' database work (app/http/pipeline.py): at
    # most the pool's connections, so that no thread waits for one.
    db_work_threads: int = 6
    public_base_url: str = "http://127.0.0.1:8000"

    access_token_ttl_seconds: int = 600
    # The password grant, for Loket's own app only (OAuth 2.1 drops it; apps acting for
    # residents use the authorization code grant). Unset: on in development, off in production.
    password_grant: bool | None = None
    refresh_token_ttl_days: int = 30
    token_cache_size: int = 10_000
    # A read may trust what this process learnt of its caller (account, roles, token not
    # revoked) this many seconds ago: a revocation reaches reads in other processes within it.
    # Writes always check. 0 checks every read.
    read_recheck_seconds: float = 2.0

    # argon2id cost. 19 MiB / t=2 is OWASP's minimum for argon2id and keeps 16 concurrent logins
    # under ~300 MiB; tests lower it further so that creating users stays cheap.
    password_time_cost: int = 2
    password_memory_kib: int = 19_456

    # Login throttling (app/accounts/throttle.py): this many failures per account and address
    # (or per known device) are free, then each further failure doubles the wait, up to the max.
    login_free_failures: int = 5
    login_max_delay_seconds: int = 900
    # Failures per account from every address together (a botnet) before devices the account
    # has not signed in with wait too; known devices do not. NIST SP 800-63B's ceiling is 100.
    login_account_free_failures: int = 100
    # A password-reset link works once, for this long. Requests for one address (account or
    # not) are throttled like logins: this many are free, then each further one waits longer.
    password_reset_minutes: int = 30
    password_reset_free_requests: int = 3

    # Web sessions end after this much inactivity, and in any case this long after login.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12

    max_upload_bytes: int = 20 * 1024 * 1024
    # A request's line and headers, refused with 431 past either (app/http/server.py). Browsers
    # send 1-2 KiB; a proxy adds a few headers.
    max_header_bytes: Annotated[int, Field(ge=1024)] = 32 * 1024
    max_header_count: Annotated[int, Field(ge=10)] = 100
    # Addresses (or CIDR ranges) of the proxies whose X-Forwarded-For and -Proto are believed.
    # Empty: nobody's, so the client address (login throttling, per-address limits) is the
    # socket's peer. Comma-separated or a JSON list; "*" trusts every peer.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = []
    # Upload checks (app/files): a document photo or scan needs far fewer pixels than 25 MP
    # (an A4 page at 300 dpi is 8.7 MP), and decoding one costs ~0.5 s and 75+ MB. Decodes
    # run in this many slots per process; an upload that waits longer than the wait for one
    # gets 503 with Retry-After. A PDF's compressed streams may inflate to at most the budget.
    max_image_pixels: Annotated[int, Field(ge=1)] = 25_000_000
    upload_decode_slots: Annotated[int, Field(ge=1)] = 2
    upload_decode_wait_seconds: Annotated[float, Field(ge=0)] = 1.0
    max_pdf_inflated_bytes: Annotated[int, Field(ge=1024 * 1024)] = 256 * 1024 * 1024

    # The office's time zone: SLA days, due dates and the times pages show (app/office.py).
    timezone: str = "Asia/Jakarta"

    # Certificates. With no key files set, a local chain is created under data_dir/certificates
    # on first start (development); production points these at the authority's key and chain.
    authority_name: str = "Pemerintah Provinsi DKI Jakarta"
    signing_key_file: Path | None = None
    signing_cert_file: Path | None = None
    signing_chain_file: Path | None = None
    signing_pkcs12_file: Path | None = None
    signing_pkcs12_password: SecretStr | None = None
    timestamp_url: str | None = None  # RFC 3161 authority: PAdES B-T instead of B-B
    # Tagged certificate PDFs (a structure tree for screen readers, /MarkInfo Marked): every
    # certificate then takes the full WeasyPrint render (~250 ms) instead of the fast path
    # (~60 ms with signing), whose stamped text is not tagged.
    certificate_pdf_tags: bool = False

    # The audit log (app/audit): its checkpoints' signing key (a file the database never holds;
    # default <data dir>/keys/audit-log.pem), the copy of every checkpoint kept outside the
    # database (default <data dir>/audit/checkpoints.jsonl), how often the worker makes one,
    # and an address that receives each by e-mail.
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_minutes: float = 10.0
    auditor_email: str | None = None

    # Personal data at rest (app/crypto): the master keys' keyring as JSON, or the file holding
    # it (default <data dir>/keys/data-keys.json, created on first use outside production).
    data_keys: SecretStr | None = None
    data_keys_file: Path | None = None

    # Log lines (app/logs.py): JSON objects, text, or auto (text on a terminal, else JSON).
    log_format: Literal["json", "text", "auto"] = "auto"

    # The deadline sweep (app/cases/sweep.py): due cases claimed and acted on per transaction.
    sla_sweep_batch: Annotated[int, Field(ge=1, le=10_000)] = 100

    # GET /metrics answers loopback peers, and others only with this bearer token.
    metrics_token: SecretStr | None = None

    # Public endpoints (certificate verification): requests per client address per minute.
    public_rate_limit_per_minute: int = 60

    # Self-registrations per client address per hour (the API and the page together): enough
    # for a family or a kiosk, too few for a script filling the database with accounts.
    registrations_per_hour: int = 20

    # Complaints filed per account, and per client address, per hour (the API and, later, the
    # page and Open311 together): a resident reporting a street's worth of problems gets
    # through, a script flooding the departments' queues does not.
    complaints_per_hour: int = 10

    # Open311 GeoReport v2 (/open311/v2): the one jurisdiction it answers for, whom discovery
    # names as its contact, and the reports one api_key may file per hour (every attempt counts,
    # as a machine client's requests do: a city app's backend forwards many residents' reports).
    open311_jurisdiction: str = "jakarta.go.id"
    open311_contact: str = "Dinas Komunikasi, Informatika dan Statistik Provinsi DKI Jakarta"
    open311_reports_per_hour: int = 1000

    # Machine clients: requests per client per minute.
    client_rate_limit_per_minute: int = 600

    # Outbox: webhooks and e-mail. The embedded default delivers from a thread in the server;
    # production runs `loket worker` processes instead (set LOKET_EMBEDDED_DISPATCHER=false).
    embedded_dispatcher: bool | None = None  # None: on for SQLite, off for PostgreSQL
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 5.0  # doubled after each failed attempt
    outbox_lease_seconds: int = 60
    webhook_timeout_seconds: float = 10.0
    # Hosts or CIDR ranges webhooks may reach although they are private (e.g. "10.20.0.0/16").
    webhook_allowed_private: list[str] = []
    smtp_host: str | None = None  # unset: no e-mail is sent, nor queued in the outbox
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "Loket <no-reply@loket.local>"
    # Fees: the biller's prefix at its bank (SNAP partnerServiceId, up to 8 digits) that starts
    # every virtual account number.
    payment_biller_prefix: Annotated[str, Field(pattern=r"^[0-9]{1,8}$")] = "8808"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Asia/Jakarta)"
            ) from None
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"LOKET_FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or CIDR range"
                ) from None
        return value

    @model_validator(mode="after")
    def _threads_fit_the_pool(self) -> Settings:
        if not 1 <= self.db_work_threads <= self.db_pool_size:
            raise ValueError(
                f"LOKET_DB_WORK_THREADS ({self.db_work_threads}) must be from 1 to "
                f"LOKET_DB_POOL_SIZE ({self.db_pool_size})"
            )
        return self

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if not self.database_url or self.database_url.startswith("sqlite"):
            problems.append("LOKET_DATABASE_URL must point at PostgreSQL in production")
        if not self.public_base_url.startswith("https://"):
            problems.append("LOKET_PUBLIC_BASE_URL must be an https:// URL in production")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property  # not cached: a copy with another database_url (model_copy) must not keep it
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'loket.db').resolve()}"

    @property
    def sends_email(self) -> bool:
        """Whether this deployment sends e-mail (a mail server is set): the outbox queues it
        and pages promise it only then."""
        return bool(self.smtp_host)

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def data_keys_path(self) -> Path:
        return self.data_keys_file or self.keys_dir / "data-keys.json"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.keys_dir / "audit-log.pem"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit" / "checkpoints.jsonl"

    @property
    def dispatcher_in_process(self) -> bool:
        """Whether the server process itself delivers outbox messages."""
        return self.is_sqlite if self.embedded_dispatcher is None else self.embedded_dispatcher

    @property
    def password_grant_enabled(self) -> bool:
        return self.env != "production" if self.password_grant is None else self.password_grant

    @property
    def secure_cookies(self) -> bool:
        """Served over HTTPS: cookies get ``Secure`` and the ``__Host-`` prefix."""
        return self.public_base_url.startswith("https://")

    @property
    def certificates_dir(self) -> Path:
        return self.data_dir / "certificates"

    @property
    def issuer(self) -> str:
        return self.public_base_url.rstrip("/")

    @property
    def api_audience(self) -> str:
        return f"{self.issuer}/api"
