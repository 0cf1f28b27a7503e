"""Long-lived objects one process builds once: engine, keys, token service, file store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from app.accounts.passwords import PasswordHasher
from app.applications.storage import FileStore
from app.config import Settings
from app.db import build_engine
from app.oauth.keys import KeyStore
from app.oauth.tokens import TokenService


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    keys: KeyStore
    tokens: TokenService
    files: FileStore
    passwords: PasswordHasher


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    """Wire the process-wide objects; creates the data directory and keys on first start."""
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
