"""Long-lived objects one process builds once: engine, keys, token service, file store."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app import case_types, office
from app.accounts.passwords import PasswordHasher
from app.config import Settings
from app.db import Engine, build_engine
from app.files.storage import FileStore
from app.oauth.keys import KeyStore
from app.oauth.tokens import TokenService
from app.payments import service as payments

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    keys: KeyStore
    tokens: TokenService
    files: FileStore
    passwords: PasswordHasher
    timestamper: object | None = None  # tests inject an in-process RFC 3161 authority
    _issuer: CertificateIssuer | None = field(default=None, repr=False)
    _issuer_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def certificates(self) -> CertificateIssuer:
        """Built on first use: WeasyPrint and pyHanko cost seconds to import and set up."""
        with self._issuer_lock:
            if self._issuer is None:
                from app.certificates.issuer import build_issuer

                self._issuer = build_issuer(
                    self.settings,
                    files=self.files,
                    tokens=self.tokens,
                    timestamper=self.timestamper,
                )
            return self._issuer


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    """Wire the process-wide objects; creates the data directory and keys on first start."""
    office.configure(settings.timezone)
    payments.configure(biller_prefix=settings.payment_biller_prefix)
    case_types.install()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = KeyStore.load_or_create(settings.keys_dir)
    tokens = TokenService(
        keys,
        issuer=settings.issuer,
        audience=settings.api_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        cache_size=settings.token_cache_size,
    )
    return Runtime(
        settings=settings,
        engine=engine or build_engine(settings),
        keys=keys,
        tokens=tokens,
        files=FileStore(settings.files_dir),
        passwords=PasswordHasher(
            time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
        ),
    )
