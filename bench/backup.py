#!/usr/bin/env python
"""How long `loket backup create` and `loket backup restore` take for N applications.

    .venv/bin/python bench/backup.py 100000 [--server postgresql://postgres@127.0.0.1:5432]

Seeds a fresh PostgreSQL database with N applications, each with its ``cases`` and
``applications`` rows and an event (bench/seed.py's COPY generator, 50,000 residents), then
times ``app.backup.create`` (pg_dump in its custom format plus the data directory and the
manifest hashes) and ``app.backup.restore`` into a second, freshly created database and data
directory (pg_restore in one transaction), and prints the sizes and times as JSON. Both
databases are dropped at the end unless ``--keep``. The issue's target: 1,000,000 applications
backed up in under 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import psycopg  # noqa: E402
from benchlib import drop_database, log, recreate_database  # noqa: E402
from seed import seed  # noqa: E402

from app.backup import create, restore  # noqa: E402
from app.config import Settings  # noqa: E402
from app.runtime import build_runtime  # noqa: E402


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, _env_file=None)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("cases", "applications", "events", "users")
        }


def _size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def run(count: int, server: str, *, keep: bool) -> dict:
    names = (f"loket_bench_backup_src_{os.getpid()}", f"loket_bench_backup_dst_{os.getpid()}")
    source_url, target_url = (recreate_database(server, name) for name in names)
    work = Path(tempfile.mkdtemp(prefix="loket-bench-backup-"))
    try:
        log(f"seeding {count:,} applications")
        started = time.perf_counter()
        seed(source_url, count=count, random_seed=17)
        seeded_s = time.perf_counter() - started
        source = _settings(source_url, work / "data")
        build_runtime(source).engine.dispose()  # the data directory's keys, as a server makes
        log("backup create")
        started = time.perf_counter()
        manifest = create(source, work / "backup")
        create_s = time.perf_counter() - started
        log("backup restore into a fresh database and data directory")
        target = _settings(target_url, work / "restored")
        started = time.perf_counter()
        restore(target, work / "backup")
        restore_s = time.perf_counter() - started
        counts = _counts(target_url)
        assert counts == _counts(source_url), "the restored database differs"
        return {
            "applications": count,
            "rows": counts,
            "seed_s": round(seeded_s, 1),
            "create_s": round(create_s, 1),
            "restore_s": round(restore_s, 1),
            "dump_mb": round(
                (work / "backup" / manifest["database"]["file"]).stat().st_size / 1e6, 1
            ),
            "backup_mb": round(_size(work / "backup") / 1e6, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            for name in names:
                drop_database(server, name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("applications", type=int, help="how many applications to seed")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.applications, args.server, keep=args.keep), indent=2))


if __name__ == "__main__":
    main()
