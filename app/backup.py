"""`loket backup create DIR` and `loket backup restore DIR`: the database, the data directory
and the signing keys, as one directory with a manifest of SHA-256 hashes.

A backup directory holds:

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the server runs)
  or ``database.pgdump`` (``pg_dump --format=custom``, one snapshot of the whole database);
- ``data/``: the data directory (uploaded files, certificates, keys, audit checkpoints) without
  the SQLite database itself, half-received uploads or the metrics scratch files;
- ``external/<setting>/<name>``: key and checkpoint files configured outside the data directory
  (``LOKET_SIGNING_KEY_FILE`` ...), restored to the paths the target configures;
- ``manifest.json``: what the backup is, and the hash of every other file.

The database is dumped before the files are copied, so the files are a superset of what the
database refers to (a certificate committed meanwhile has its file written again by the
worker's recovery job). Restore verifies every hash, and refuses a file the manifest does not
name, before it writes anything; it refuses a target database with tables, or a data directory
with files, unless ``force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from app.config import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
DATA = "data"
EXTERNAL = "external"
# Settings that may name a file outside the data directory that a restore needs.
EXTERNAL_FILES = (
    "signing_key_file",
    "signing_cert_file",
    "signing_chain_file",
    "signing_pkcs12_file",
    "audit_key_file",
    "audit_checkpoint_file",
)
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; nothing was written to the target."""


@dataclass
class Restored:
    database: str
    files: int
    warnings: list[str] = field(default_factory=list)


# ---- create ------------------------------------------------------------------------------


def create(settings: Settings, destination: Path) -> dict:
    """Back up the configured database, data directory and key files into ``destination``
    (absent or empty); returns the manifest written."""
    destination = destination.resolve()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} is not an empty directory")
    if destination.is_relative_to(settings.data_dir.resolve()):
        raise BackupError("the backup directory must be outside the data directory")
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the private keys
    if settings.is_sqlite:
        kind, database_file = "sqlite", SQLITE_FILE
        _sqlite_copy(_sqlite_path(settings), destination / SQLITE_FILE)
    else:
        kind, database_file = "postgresql", POSTGRES_FILE
        _pg_dump(settings, destination / POSTGRES_FILE)
    _copy_data_dir(settings, destination / DATA)
    external = _copy_external(settings, destination / EXTERNAL)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"kind": kind, "file": database_file},
        "external": external,
        "files": {path: _sha256(destination / path) for path in _listed(destination)},
    }
    temporary = destination / f".{MANIFEST}.part"
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    temporary.replace(destination / MANIFEST)  # a backup without its manifest is no backup
    return manifest


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.effective_database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, whatever writers do meanwhile. Into an
    existing database it writes through the target's own journal: all or nothing."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    src = closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True))
    with src as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _skipped(settings: Settings) -> set[Path]:
    """What of the data directory is no part of a backup."""
    data = settings.data_dir.resolve()
    skipped = {data / "metrics", (settings.files_dir / "tmp").resolve()}
    if settings.is_sqlite:
        database = _sqlite_path(settings).resolve()
        skipped |= {database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")}
        skipped.add(database.with_name(database.name + "-journal"))
    return skipped


def _copy_data_dir(settings: Settings, target: Path) -> None:
    target.mkdir()
    source = settings.data_dir.resolve()
    if not source.is_dir():
        return
    skipped = _skipped(settings)
    for path in _walk(source, skipped):
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)


def _walk(root: Path, skipped: set[Path]) -> Iterator[Path]:
    for path in sorted(root.iterdir()):
        if path in skipped or path.is_symlink():
            continue
        if path.is_dir():
            yield from _walk(path, skipped)
        elif path.is_file():
            yield path


def _copy_external(settings: Settings, target: Path) -> dict[str, str]:
    data = settings.data_dir.resolve()
    copied: dict[str, str] = {}
    for name in EXTERNAL_FILES:
        configured: Path | None = getattr(settings, name)
        if configured is None or configured.resolve().is_relative_to(data):
            continue
        if not configured.is_file():
            raise BackupError(f"LOKET_{name.upper()} names {configured}, which is not a file")
        copy = target / name / configured.name
        copy.parent.mkdir(parents=True)
        shutil.copy2(configured, copy)
        copied[name] = copy.relative_to(target.parent).as_posix()
    return copied


def _listed(root: Path) -> list[str]:
    return [
        path.relative_to(root).as_posix()
        for path in _walk(root, set())
        if path.name not in (MANIFEST, f".{MANIFEST}.part")
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---- PostgreSQL ----------------------------------------------------------------------------


def _pg_url(settings: Settings) -> URL:
    return make_url(settings.effective_database_url)


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for ``url``: the password never appears on a command line."""
    environment = dict(os.environ)
    values = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for key, value in values.items():
        if isinstance(value, str) and value:
            environment[key] = value
    return environment


def _run(command: list[str], url: URL) -> None:
    try:
        done = subprocess.run(
            command, env=_pg_environment(url), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _pg_dump(settings: Settings, target: Path) -> None:
    _run(["pg_dump", "--format=custom", "--compress=1", f"--file={target}"], _pg_url(settings))


def _pg_restore(settings: Settings, dump: Path, *, force: bool) -> None:
    # One transaction: a restore that fails leaves the target as it was.
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", f"--dbname={_pg_url(settings).database}"]
    if force:
        command += ["--clean", "--if-exists"]
    _run([*command, str(dump)], _pg_url(settings))


# ---- restore -------------------------------------------------------------------------------


def verify(source: Path) -> dict:
    """The manifest of the backup in ``source``, once every file matches its hash and no file
    is missing from it; raises ``BackupError`` otherwise."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable {MANIFEST} in {source}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: not a Loket backup of format {FORMAT}")
    files = manifest.get("files")
    database = manifest.get("database") or {}
    if not isinstance(files, dict) or database.get("file") not in files:
        raise BackupError(f"{MANIFEST}: no file list, or the database file is not in it")
    for name, digest in files.items():
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise BackupError(f"{MANIFEST}: {name!r} is outside the backup")
        if not (source / path).is_file():
            raise BackupError(f"{name} is missing from the backup")
        if _sha256(source / path) != digest:
            raise BackupError(f"{name} does not match its hash in {MANIFEST}")
    unlisted = sorted(set(_listed(source)) - set(files))
    if unlisted:
        raise BackupError(f"files not in {MANIFEST}: {', '.join(unlisted[:5])}")
    return manifest


def restore(settings: Settings, source: Path, *, force: bool = False) -> Restored:
    """Restore the backup in ``source`` into the configured database and data directory."""
    source = source.resolve()
    manifest = verify(source)
    kind = manifest["database"]["kind"]
    if kind != ("sqlite" if settings.is_sqlite else "postgresql"):
        raise BackupError(f"the backup is of a {kind} database; the configured one is not")
    warnings = _check_targets(settings, manifest, force=force)
    dump = source / manifest["database"]["file"]
    if settings.is_sqlite:
        target = _sqlite_path(settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(dump, target)
    else:
        _pg_restore(settings, dump, force=force)
    files = _restore_files(settings, source, manifest)
    return Restored(database=kind, files=files, warnings=warnings)


def _check_targets(settings: Settings, manifest: dict, *, force: bool) -> list[str]:
    """Refuse non-empty targets (unless ``force``) before anything is written."""
    refusals = []
    if _database_has_tables(settings):
        refusals.append("the configured database has tables")
    if _data_dir_has_files(settings):
        refusals.append(f"the data directory {settings.data_dir} has files")
    warnings = []
    for name in manifest.get("external", {}):
        configured = getattr(settings, name, None)
        if configured is None:
            warnings.append(
                f"LOKET_{name.upper()} is not set here: its file from the backup is not restored"
            )
        elif configured.exists():
            refusals.append(f"{configured} (LOKET_{name.upper()}) exists")
    if refusals and not force:
        raise BackupError("; ".join(refusals) + " (use --force to overwrite)")
    return warnings


def _database_has_tables(settings: Settings) -> bool:
    """Whether the target database holds any table (restoring over one needs --force)."""
    if settings.is_sqlite:
        path = _sqlite_path(settings)
        if not path.is_file() or path.stat().st_size == 0:
            return False
        url = make_url(f"sqlite:///{path}")
    else:
        url = _pg_url(settings)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(inspect(connection).get_table_names())
    except Exception as error:  # unreachable, no such database, refused login
        raise BackupError(f"cannot reach the target database: {error}") from None
    finally:
        engine.dispose()


def _data_dir_has_files(settings: Settings) -> bool:
    data = settings.data_dir.resolve()
    return data.is_dir() and next(_walk(data, _skipped(settings)), None) is not None


def _restore_files(settings: Settings, source: Path, manifest: dict) -> int:
    data = settings.data_dir.resolve()
    count = 0
    for name in manifest["files"]:
        path = PurePosixPath(name)
        if path.parts[0] != DATA:
            continue
        target = data.joinpath(*path.parts[1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, target)
        count += 1
    for setting, name in manifest.get("external", {}).items():
        configured = getattr(settings, setting, None)
        if configured is not None:
            configured.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, configured)
            count += 1
    return count
