#!/usr/bin/env python
"""Fast seeding for benchmarks: COPY (psycopg ``cursor.copy()``) instead of the service layer.

    .venv/bin/python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/loket_q \
        --count 1000000

``--count`` is the TARGET number of applications in the database: the script adds
``count - existing`` rows, so "seed 10k, measure, then seed up to 1M" is two calls. It first runs
the app's migrations (``app.migrate.upgrade``, a no-op when the schema is current) and loads
bench/catalogue.yaml through the catalogue service (idempotent), then adds, with COPY:

* users: ``--citizens`` residents (default 50,000, with structurally valid unique NIKs) and
  ``--officers`` officers per department (verifier+approver). All share ONE real argon2id hash of
  a random password that is thrown away, so nobody can log in as a seeded user.
* applications, each a ``cases`` row of kind ``application`` (the service code as
  ``subject_code``, the service's ``workflow``) and its ``applications`` row (the service
  version), over every service of the catalogue (weighted), ``created_at`` spread uniformly
  over the last two years, with states that depend on age (recent files are drafts or active,
  old ones mostly decided, a small old backlog still active and therefore overdue), submission
  and decision times, SLA due dates computed with the app's working-day calendar, pauses for
  revision requests, assignments to officers, verifiers (``first_officer_id``) on two-level
  files, some files keyed in
  by an officer for a resident, and reference numbers that continue the app's counters
  (``reference_counters`` is updated, so the API keeps numbering after the seeded rows).
* one ``application.created`` event per application, satisfying every NOT NULL column.
  THE EVENTS ARE NOT A VALID HASH CHAIN: ``hash`` is random and an application that is past
  ``draft`` has no events for its later steps, so ``loket audit verify`` reports seeded files.
  The application's ``event_seq``/``event_head`` point at that event, so new transitions on a
  seeded file append normally.

Then ANALYZE. Foreign-key triggers are skipped during the load
(``session_replication_role = replica``, needs a superuser; without it the load still works,
just slower): the generator only uses ids it has just read or written.

``insert_drafts`` (used by bench/api.py) is different: it writes real drafts with a valid
first event, as if they had been created through the API.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import secrets
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg.types.json import Json  # noqa: E402

CATALOGUE = Path(__file__).resolve().parent / "catalogue.yaml"
SEED_DOMAIN = "seed.bench.loket.id"
GENESIS = "0" * 64
NULL = "\\N"  # COPY text format
BATCH = 50_000
TWO_YEARS = 730 * 86_400
JAKARTA = timedelta(hours=7)  # Asia/Jakarta has no DST: office day = (UTC + 7h).date()

# Relative weights of services (codes missing from the catalogue are ignored; codes not listed
# get weight 1).
SERVICE_WEIGHTS = {"IUMK": 30, "SKDU": 20, "REKLAME": 8, "PBG": 15, "SLF": 7, "SIP": 20}

FIRST_NAMES = (
    "Siti",
    "Budi",
    "Agus",
    "Dewi",
    "Rina",
    "Andi",
    "Putri",
    "Joko",
    "Wahyu",
    "Sri",
    "Dian",
    "Eko",
    "Fitri",
    "Hendra",
    "Indah",
    "Yusuf",
    "Ayu",
    "Rudi",
    "Nur",
    "Bayu",
    "Lestari",
    "Rizky",
    "Ahmad",
    "Maya",
    "Teguh",
    "Ratna",
    "Fajar",
    "Wulan",
    "Dimas",
    "Kartika",
    "Bambang",
    "Intan",
    "Hadi",
    "Yanti",
    "Arif",
    "Nita",
    "Gilang",
    "Mega",
)
LAST_NAMES = (
    "Rahmawati",
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Setiawan",
    "Nugroho",
    "Lestari",
    "Susanto",
    "Hakim",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Wibowo",
    "Purnomo",
    "Halim",
    "Gunawan",
    "Utomo",
    "Sitompul",
    "Harahap",
    "Permana",
    "Suryadi",
    "Anggraini",
    "Firmansyah",
    "Manurung",
    "Tanjung",
)
BUSINESS_WORDS = (
    "Warung",
    "Toko",
    "Bengkel",
    "Kedai",
    "Salon",
    "Laundry",
    "Katering",
    "Apotek",
    "Klinik",
    "Studio",
    "Percetakan",
    "Konveksi",
    "Gudang",
    "Rumah Makan",
)
BUSINESS_NAMES = (
    "Sejahtera",
    "Makmur",
    "Berkah",
    "Jaya",
    "Sentosa",
    "Mandiri",
    "Abadi",
    "Harapan",
    "Sumber Rezeki",
    "Barokah",
    "Maju",
    "Lancar",
    "Bersama",
    "Indah",
)
STREETS = (
    "Jl. Kemang Raya",
    "Jl. Fatmawati",
    "Jl. Pramuka",
    "Jl. Cikini Raya",
    "Jl. Tebet Timur",
    "Jl. Kramat Raya",
    "Jl. Mangga Besar",
    "Jl. Pasar Minggu",
    "Jl. Rawamangun Muka",
)

ACTIVE_BY_WORKFLOW = {
    "single_approval": (("submitted", 0.35), ("in_review", 0.45), ("revision_requested", 0.20)),
    "two_level": (
        ("submitted", 0.30),
        ("in_verification", 0.30),
        ("verified", 0.20),
        ("revision_requested", 0.20),
    ),
}
FINAL = (("approved", 0.78), ("rejected", 0.10), ("withdrawn", 0.10), ("revoked", 0.02))
VERSION_OF = {
    "draft": 1,
    "submitted": 2,
    "in_review": 3,
    "in_verification": 3,
    "verified": 4,
    "revision_requested": 4,
    "approved": 4,
    "rejected": 4,
    "withdrawn": 3,
    "revoked": 5,
}

CASE_COLUMNS = (
    "id",
    "kind",
    "reference",
    "subject_code",
    "workflow",
    "department_id",
    "owner_id",
    "submitted_by_id",
    "assigned_to_id",
    "first_officer_id",
    "state",
    "data",
    "submitted_at",
    "decided_at",
    "due_at",
    "paused_at",
    "paused_working_days",
    "version",
    "event_seq",
    "event_head",
    "created_at",
    "updated_at",
)
# What a case of kind "application" adds: the service version it started on.
APPLICATION_COLUMNS = ("id", "service_id")
EVENT_COLUMNS = (
    "case_id",
    "seq",
    "action",
    "from_state",
    "to_state",
    "actor_type",
    "actor_id",
    "comment",
    "details",
    "created_at",
    "prev_hash",
    "hash",
)
USER_COLUMNS = (
    "id",
    "email",
    "full_name",
    "nik",
    "phone",
    "role",
    "department_id",
    "officer_roles",
    "password_hash",
    "language",
    "is_active",
    "created_at",
)


def psycopg_url(url: str) -> str:
    """psycopg wants ``postgresql://``; SQLAlchemy URLs may say ``postgresql+psycopg://``."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return url


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Schema and catalogue through the app itself
# --------------------------------------------------------------------------------------------


def prepare_schema(url: str, catalogue: Path = CATALOGUE) -> None:
    """Run the app's migrations and load the benchmark catalogue (both idempotent)."""
    from app.catalogue.definitions import load_catalogue
    from app.catalogue.service import load_catalogue as store_catalogue
    from app.config import Settings
    from app.db import build_engine, transaction
    from app.migrate import upgrade

    settings = Settings(database_url=url)
    upgrade(settings)
    engine = build_engine(settings)
    try:
        with transaction(engine) as session:
            store_catalogue(session, catalogue=load_catalogue(catalogue))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    code: str
    department_id: int
    sla_days: int
    workflow: str


def load_services(conn: psycopg.Connection) -> list[ServiceInfo]:
    rows = conn.execute(
        "SELECT id, code, department_id, sla_days, workflow FROM services "
        "WHERE is_current AND active ORDER BY code"
    ).fetchall()
    return [ServiceInfo(*row) for row in rows]


# --------------------------------------------------------------------------------------------
# COPY text helpers (values we generate never contain tab, newline or backslash)
# --------------------------------------------------------------------------------------------


def _ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _opt(value) -> str:
    return "\\N" if value is None else str(value)


def _new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@functools.cache
def _due_date(office_day: date, sla_days: int) -> date:
    from app.workflow.calendar import default_calendar

    return default_calendar().add_working_days(office_day, sla_days)


def _office_day(epoch: float) -> date:
    return (datetime.fromtimestamp(epoch, UTC) + JAKARTA).date()


def _pick(rng: random.Random, weighted) -> str:
    r = rng.random()
    for value, weight in weighted:
        r -= weight
        if r < 0:
            return value
    return weighted[-1][0]


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------


def _seed_nik(n: int) -> str:
    """A structurally valid, unique NIK for seeded citizen number ``n`` (province 31, DKI)."""
    serial = n % 9999 + 1
    rest = n // 9999
    day = rest % 28 + 1 + (40 if rest % 2 else 0)  # women: day + 40
    month = (rest // 28) % 12 + 1
    year = 60 + (rest // 336) % 40
    district = (rest // 13440) % 10 + 1
    return f"3171{district:02d}{day:02d}{month:02d}{year:02d}{serial:04d}"


def _throwaway_hash() -> str:
    from app.accounts.passwords import PasswordHasher
    from app.config import Settings

    settings = Settings()
    return PasswordHasher(
        time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
    ).hash(secrets.token_urlsafe(24))


def ensure_users(
    conn: psycopg.Connection,
    *,
    citizens: int,
    officers_per_department: int,
    department_ids: list[int],
    rng: random.Random,
) -> tuple[list[str], dict[int, list[str]]]:
    """Add the seeded users that are missing; returns (citizen ids, officer ids by department)."""
    existing = conn.execute(
        "SELECT count(*) FROM users WHERE role = 'citizen' AND email LIKE %s", (f"%@{SEED_DOMAIN}",)
    ).fetchone()[0]
    officer_rows = conn.execute(
        "SELECT department_id, count(*) FROM users WHERE role = 'officer' AND email LIKE %s "
        "GROUP BY department_id",
        (f"%@{SEED_DOMAIN}",),
    ).fetchall()
    officers_have = dict(officer_rows)
    password_hash = None
    lines: list[str] = []
    now = time.time()
    for n in range(existing, citizens):
        password_hash = password_hash or _throwaway_hash()
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        created = _ts(now - rng.random() * TWO_YEARS * 1.5)
        lines.append(
            f"{_new_uuid(rng)}\tcitizen-{n:07d}@{SEED_DOMAIN}\t{name}\t{_seed_nik(n)}\t"
            f"08{rng.randrange(10**9, 10**10)}\tcitizen\t\\N\t\t{password_hash}\tid\tt\t"
            f"{created}\n"
        )
    for department_id in department_ids:
        for n in range(officers_have.get(department_id, 0), officers_per_department):
            password_hash = password_hash or _throwaway_hash()
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            lines.append(
                f"{_new_uuid(rng)}\tofficer-{department_id}-{n:03d}@{SEED_DOMAIN}\t"
                f"{name}\t\\N\t\\N\tofficer\t{department_id}\tapprover,verifier\t"
                f"{password_hash}\tid\tt\t{_ts(now - TWO_YEARS * 1.2)}\n"
            )
    if lines:
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY users ({', '.join(USER_COLUMNS)}) FROM STDIN") as copy,
        ):
            for start in range(0, len(lines), 10_000):
                copy.write("".join(lines[start : start + 10_000]))
    citizen_ids = [
        str(r[0])
        for r in conn.execute(
            "SELECT id FROM users WHERE role = 'citizen' AND email LIKE %s ORDER BY email",
            (f"%@{SEED_DOMAIN}",),
        )
    ]
    officers: dict[int, list[str]] = {d: [] for d in department_ids}
    for department_id, user_id in conn.execute(
        "SELECT department_id, id FROM users WHERE role = 'officer' AND email LIKE %s "
        "ORDER BY email",
        (f"%@{SEED_DOMAIN}",),
    ):
        officers.setdefault(department_id, []).append(str(user_id))
    return citizen_ids, officers


# --------------------------------------------------------------------------------------------
# Applications and their creation events
# --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    now: float
    today: date
    service_table: list[ServiceInfo]  # weighted lookup table
    citizens: list[str]
    officers: dict[int, list[str]]
    counters: dict[tuple[str, int], int]


def _generate(ctx: _Context, n: int, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    """``n`` applications as COPY text lines of their case rows, application rows and events,
    oldest first."""
    cases: list[str] = []
    apps: list[str] = []
    events: list[str] = []
    now = ctx.now
    table, n_table = ctx.service_table, len(ctx.service_table)
    citizens, n_citizens = ctx.citizens, len(ctx.citizens)
    counters = ctx.counters
    day = 86_400.0
    for created in sorted(now - rng.random() * TWO_YEARS for _ in range(n)):
        service = table[int(rng.random() * n_table)]
        officers = ctx.officers[service.department_id]
        age = (now - created) / day
        # State by age: recent files are drafts or in progress, old ones mostly decided, and a
        # small old backlog stays active (those are the overdue files).
        if rng.random() < (0.12 if age < 14 else 0.02):
            state = "draft"
        elif rng.random() < min(0.96, age / 45.0):
            state = _pick(rng, FINAL)
        else:
            state = _pick(rng, ACTIVE_BY_WORKFLOW[service.workflow])
        application_id = _new_uuid(rng)
        applicant = citizens[int(rng.random() * n_citizens)]
        on_behalf = officers[int(rng.random() * len(officers))] if rng.random() < 0.03 else None
        created_dt = datetime.fromtimestamp(created, UTC)
        year = created_dt.year
        number = counters.get((service.code, year), 0) + 1
        counters[(service.code, year)] = number
        submitted = decided = paused = due = assigned = first_officer = None
        updated = created
        if state != "draft":
            submitted = min(created + rng.uniform(0.01, 2.0) * day, now - 60)
            due = _due_date(_office_day(submitted), service.sla_days)
            updated = submitted
            if state in ("approved", "rejected", "withdrawn", "revoked"):
                decided = min(submitted + rng.uniform(0.2, service.sla_days * 1.6) * day, now - 30)
                updated = decided
                if state != "withdrawn" and rng.random() < 0.9:
                    assigned = officers[int(rng.random() * len(officers))]
            elif state == "revision_requested":
                paused = min(
                    submitted + rng.uniform(0.1, max(0.2, min(age, service.sla_days))) * day,
                    now - 30,
                )
                updated = paused
                if rng.random() < 0.8:
                    assigned = officers[int(rng.random() * len(officers))]
            elif state in ("in_review", "in_verification") or (
                state == "submitted" and rng.random() < 0.1
            ):
                assigned = officers[int(rng.random() * len(officers))]
            if service.workflow == "two_level" and (
                state in ("verified", "approved", "revoked")
                or (state == "rejected" and rng.random() < 0.5)
            ):
                first_officer = officers[int(rng.random() * len(officers))]
        business = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_NAMES)} {number % 97}"
        data = (
            f'{{"business_name": "{business}", "employees": {rng.randint(1, 40)}, '
            f'"business_address": "{rng.choice(STREETS)} No. {rng.randint(1, 250)}"}}'
        )
        head = f"{rng.getrandbits(256):064x}"
        created_s = _ts(created)
        cases.append(
            f"{application_id}\tapplication\t{service.code}-{year}-{number:06d}\t{service.code}\t"
            f"{service.workflow}\t{service.department_id}\t{applicant}\t{_opt(on_behalf)}\t"
            f"{_opt(assigned)}\t{_opt(first_officer)}\t{state}\t{data}\t"
            f"{_ts(submitted) if submitted else NULL}\t"
            f"{_ts(decided) if decided else NULL}\t{_opt(due)}\t"
            f"{_ts(paused) if paused else NULL}\t0\t{VERSION_OF[state]}\t1\t{head}\t"
            f"{created_s}\t{_ts(updated)}\n"
        )
        apps.append(f"{application_id}\t{service.id}\n")
        details = f'{{"on_behalf_of": "{applicant}"}}' if on_behalf else "{}"
        events.append(
            f"{application_id}\t1\tapplication.created\t\\N\tdraft\tuser\t"
            f"{on_behalf or applicant}\t\\N\t{details}\t{created_s}\t{GENESIS}\t{head}\n"
        )
    return cases, apps, events


def _copy_lines(conn: psycopg.Connection, table: str, columns, lines: list[str]) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for start in range(0, len(lines), 5_000):
            copy.write("".join(lines[start : start + 5_000]))


def seed(
    url: str,
    *,
    count: int,
    citizens: int = 50_000,
    officers_per_department: int = 10,
    random_seed: int | None = None,
    catalogue: Path = CATALOGUE,
    analyze: bool = True,
) -> dict:
    """Bring the database up to ``count`` applications; returns what was done and timings."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    prepare_schema(url, catalogue)
    timings["migrate_and_catalogue_s"] = time.perf_counter() - started
    with psycopg.connect(psycopg_url(url), autocommit=False) as conn:
        try:
            conn.execute("SET session_replication_role = replica")
            fk_checks_skipped = True
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            fk_checks_skipped = False
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        services = load_services(conn)
        if not services:
            raise SystemExit("no services in the catalogue")
        department_ids = sorted({s.department_id for s in services})
        # Reproducible with --seed, yet a second call (seeding "up to" a larger count) must not
        # replay the first call's ids: the state of the database is part of the seed.
        present = conn.execute(
            "SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM users)"
        ).fetchone()
        rng = random.Random(
            None if random_seed is None else f"{random_seed}/{present[0]}/{present[1]}"
        )
        t = time.perf_counter()
        citizen_ids, officers = ensure_users(
            conn,
            citizens=citizens,
            officers_per_department=officers_per_department,
            department_ids=department_ids,
            rng=rng,
        )
        conn.commit()
        timings["users_s"] = time.perf_counter() - t
        existing = conn.execute("SELECT count(*) FROM applications").fetchone()[0]
        to_add = max(0, count - existing)
        log(
            f"{existing} applications present, adding {to_add} "
            f"({len(citizen_ids)} seeded citizens, FK checks skipped: {fk_checks_skipped})"
        )
        table: list[ServiceInfo] = []
        for service in services:
            table += [service] * SERVICE_WEIGHTS.get(service.code, 1)
        counters = {
            (code, year): value
            for code, year, value in conn.execute(
                "SELECT service_code, year, value FROM reference_counters"
            )
        }
        now = time.time()
        ctx = _Context(
            now=now,
            today=_office_day(now),
            service_table=table,
            citizens=citizen_ids,
            officers=officers,
            counters=counters,
        )
        generate_s, copy_s, wait_s = 0.0, [0.0], 0.0

        def copy_batch(cases: list[str], apps: list[str], events: list[str]) -> None:
            t = time.perf_counter()
            _copy_lines(conn, "cases", CASE_COLUMNS, cases)
            _copy_lines(conn, "applications", APPLICATION_COLUMNS, apps)
            _copy_lines(conn, "events", EVENT_COLUMNS, events)
            copy_s[0] += time.perf_counter() - t

        # PostgreSQL ingests one batch while Python generates the next (one batch in flight):
        # on two cores this hides most of the generation, which the third table made worth it.
        done = 0
        with ThreadPoolExecutor(max_workers=1) as copier:
            in_flight: Future | None = None
            while done < to_add:
                n = min(BATCH, to_add - done)
                t = time.perf_counter()
                batch = _generate(ctx, n, rng)
                generate_s += time.perf_counter() - t
                t = time.perf_counter()
                if in_flight is not None:
                    in_flight.result()
                wait_s += time.perf_counter() - t
                in_flight = copier.submit(copy_batch, *batch)
                done += n
                if to_add >= 200_000 and (done % 200_000 < BATCH or done == to_add):
                    log(f"  {done}/{to_add} rows ({time.perf_counter() - started:.0f} s)")
            if in_flight is not None:
                t = time.perf_counter()
                in_flight.result()
                wait_s += time.perf_counter() - t
        if to_add:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO reference_counters (service_code, year, value) "
                    "VALUES (%s, %s, %s) ON CONFLICT (service_code, year) "
                    "DO UPDATE SET value = GREATEST(reference_counters.value, EXCLUDED.value)",
                    [(code, year, value) for (code, year), value in counters.items()],
                )
        t = time.perf_counter()
        conn.commit()
        commit_s = time.perf_counter() - t
        timings |= {
            "generate_s": generate_s,
            "copy_s": copy_s[0],
            "copy_wait_s": wait_s,
            "commit_s": commit_s,
        }
    if analyze:
        t = time.perf_counter()
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            for table in ("users", "cases", "applications", "events"):
                conn.execute(f"ANALYZE {table}")
        timings["analyze_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    with psycopg.connect(psycopg_url(url)) as conn:
        total = conn.execute("SELECT count(*) FROM applications").fetchone()[0]
    report = {
        "added": to_add,
        "total_applications": total,
        "citizens": len(citizen_ids),
        "fk_checks_skipped": fk_checks_skipped,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    log(f"done: {json.dumps(report)}")
    return report


# --------------------------------------------------------------------------------------------
# Real drafts for the API benchmark (valid first event, as the API would write it)
# --------------------------------------------------------------------------------------------


def _take_numbers(conn, *, service_code: str, year: int, count: int) -> list[int]:
    """Numbers as the app takes them: its per-service sequence once it exists, else the counter
    row (which the sequence continues from when the app creates it)."""
    sequence = f"loket_ref_{service_code.lower()}_{year}"
    if conn.execute("SELECT to_regclass(%s)", (sequence,)).fetchone()[0] is not None:
        rows = conn.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, count)
        ).fetchall()
        return [row[0] for row in rows]
    last = conn.execute(
        "INSERT INTO reference_counters (service_code, year, value) VALUES (%s, %s, %s) "
        "ON CONFLICT (service_code, year) DO UPDATE "
        "SET value = reference_counters.value + EXCLUDED.value RETURNING value",
        (service_code, year, count),
    ).fetchone()[0]
    return list(range(last - count + 1, last + 1))


def insert_drafts(
    url: str, *, owner_id: str, service_code: str, data: dict, count: int
) -> list[str]:
    """Insert ``count`` drafts of ``service_code`` for one citizen; returns their ids.

    Each draft is what ``POST /api/v1/applications`` would have written: a case of kind
    "application" with a reference number from the app's sequence (or ``reference_counters``),
    its application row, and a creation event with a valid hash
    (``app.cases.timeline.event_row``), so submitting them through the API is realistic.
    """
    from app.cases.timeline import GENESIS as CHAIN_GENESIS
    from app.cases.timeline import EventDraft, event_row

    owner = uuid.UUID(owner_id)
    with psycopg.connect(psycopg_url(url)) as conn:
        service_id, department_id, workflow = conn.execute(
            "SELECT id, department_id, workflow FROM services WHERE code = %s AND is_current",
            (service_code,),
        ).fetchone()
        year = datetime.now(UTC).year
        numbers = _take_numbers(conn, service_code=service_code, year=year, count=count)
        draft = EventDraft("application.created", "user", owner_id, to_state="draft")
        cases, events = [], []
        for number in numbers:
            now = datetime.now(UTC)
            case_id = uuid.uuid4()
            event = event_row(
                case_id=case_id, seq=1, prev_hash=CHAIN_GENESIS, draft=draft, created_at=now
            )
            row = {
                "id": case_id,
                "kind": "application",
                "reference": f"{service_code}-{year}-{number:06d}",
                "subject_code": service_code,
                "workflow": workflow,
                "department_id": department_id,
                "owner_id": owner,
                "state": "draft",
                "data": Json(data),
                "paused_working_days": 0,
                "version": 1,
                "event_seq": 1,
                "event_head": event["hash"],
                "created_at": now,
                "updated_at": now,
            }
            cases.append(tuple(row.get(c) for c in CASE_COLUMNS))
            events.append(
                tuple(Json(event[c]) if c == "details" else event[c] for c in EVENT_COLUMNS)
            )
        _copy_rows(conn, "cases", CASE_COLUMNS, cases)
        _copy_rows(conn, "applications", APPLICATION_COLUMNS, [(c[0], service_id) for c in cases])
        _copy_rows(conn, "events", EVENT_COLUMNS, events)
        conn.commit()
        for table in ("cases", "applications"):
            conn.execute(f"ANALYZE {table}")
    return [str(c[0]) for c in cases]


def _copy_rows(conn: psycopg.Connection, table: str, columns, rows: list[tuple]) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="postgresql://user@host:port/db (migrated here if needed)",
    )
    parser.add_argument(
        "--count", type=int, required=True, help="target number of applications in the database"
    )
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--officers", type=int, default=10, help="officers per department")
    parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible data)")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("--no-analyze", action="store_true")
    args = parser.parse_args(argv)
    seed(
        args.database_url,
        count=args.count,
        citizens=args.citizens,
        officers_per_department=args.officers,
        random_seed=args.seed,
        catalogue=args.catalogue,
        analyze=not args.no_analyze,
    )


if __name__ == "__main__":
    main()
