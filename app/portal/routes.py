"""Every router that serves pages, in one list (``create_app`` includes them)."""

from __future__ import annotations

from fastapi import APIRouter


def web_routers() -> list[APIRouter]:
    from app.portal.account import router as account
    from app.portal.admin.routes import router as admin
    from app.portal.apps import router as apps
    from app.portal.citizen.routes import router as citizen
    from app.portal.complaints.officer import router as officer_complaints
    from app.portal.complaints.public_pages import router as public_reports
    from app.portal.complaints.resident import router as complaints
    from app.portal.notifications import router as notifications
    from app.portal.officer.routes import router as officer
    from app.portal.passwords import router as passwords
    from app.portal.privacy import router as privacy
    from app.portal.public.catalogue import router as catalogue
    from app.portal.public.home import router as home
    from app.portal.public.stats import router as stats
    from app.portal.public.verify import router as verify

    return [
        home,
        account,
        passwords,
        notifications,
        apps,
        privacy,
        catalogue,
        citizen,
        complaints,
        officer,
        officer_complaints,
        public_reports,
        admin,
        verify,
        stats,
    ]
