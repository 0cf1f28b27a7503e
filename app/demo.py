"""Demo data for a first look: the demo catalogue, one resident, officers and an admin."""

from __future__ import annotations

from app.accounts import repository as accounts_repo
from app.accounts.service import create_user
from app.catalogue.definitions import demo_catalogue_path, load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import Session
from app.runtime import Runtime

# Demo passwords are printed on purpose: this data is for a laptop, never for production.
CITIZEN = ("warga@demo.loket.id", "Pemohon-Demo-2026!", "Siti Rahmawati", "3171015503900002")
ADMIN = ("admin@demo.loket.id", "Pengelola-Demo-2026!", "Admin Loket")
OFFICER_PASSWORD = "Petugas-Demo-2026!"
OFFICER_DEPARTMENTS = ("DPMPTSP", "CKTRP", "DINKES")
# Departments that handle complaints: two officers each, since the one who resolves a report
# may not verify it. Complaint actions need no permit role; an officer account still needs one.
COMPLAINT_DEPARTMENTS = ("DBM", "DLH", "DSDA", "DPHK", "SATPOLPP", "DISHUB")


def seed_demo(session: Session, *, runtime: Runtime) -> list[tuple[str, str, str]]:
    """Create whatever demo data is missing; returns (e-mail, password, role) of every login."""
    store_catalogue(session, catalogue=load_catalogue(demo_catalogue_path()))
    logins = []
    email, password, name, nik = CITIZEN
    _ensure_user(
        session, runtime, email=email, password=password, full_name=name, role="citizen", nik=nik
    )
    logins.append((email, password, "citizen"))
    for department in OFFICER_DEPARTMENTS:
        for officer_role in ("verifier", "approver"):
            email = f"{officer_role}.{department.lower()}@demo.loket.id"
            _ensure_user(
                session,
                runtime,
                email=email,
                password=OFFICER_PASSWORD,
                full_name=f"{officer_role.title()} {department}",
                role="officer",
                department_code=department,
                officer_roles=frozenset({officer_role}),
            )
            logins.append((email, OFFICER_PASSWORD, f"officer ({officer_role}, {department})"))
    for department in COMPLAINT_DEPARTMENTS:
        for number in (1, 2):
            email = f"petugas{number}.{department.lower()}@demo.loket.id"
            _ensure_user(
                session,
                runtime,
                email=email,
                password=OFFICER_PASSWORD,
                full_name=f"Petugas {number} {department}",
                role="officer",
                department_code=department,
                officer_roles=frozenset({"verifier"}),
            )
            logins.append((email, OFFICER_PASSWORD, f"officer (complaints, {department})"))
    email, password, name = ADMIN
    _ensure_user(session, runtime, email=email, password=password, full_name=name, role="admin")
    logins.append((email, password, "admin"))
    return logins


def _ensure_user(session: Session, runtime: Runtime, **fields) -> None:
    if accounts_repo.user_by_email(session, fields["email"]) is None:
        create_user(session, passwords=runtime.passwords, **fields)
