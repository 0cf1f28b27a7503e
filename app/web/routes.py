"""Every router that serves pages, in one list (``create_app`` includes them)."""

from __future__ import annotations

from fastapi import APIRouter


def web_routers() -> list[APIRouter]:
    from app.accounts.web import router as accounts
    from app.admin.web import router as admin
    from app.applications.citizen_web import router as citizen
    from app.applications.officer_web import router as officer
    from app.catalogue.web import router as catalogue
    from app.certificates.web import router as certificates
    from app.web.home import router as home

    return [home, accounts, catalogue, citizen, officer, admin, certificates]
