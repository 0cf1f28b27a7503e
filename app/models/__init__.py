"""Every table, imported in one place so that Alembic's metadata sees them all."""

from app.models.accounts import Department, LoginThrottle, RefreshToken, User
from app.models.applications import Application, Document, Event, ReferenceCounter
from app.models.catalogue import Service

__all__ = [
    "Application",
    "Department",
    "Document",
    "Event",
    "LoginThrottle",
    "RefreshToken",
    "ReferenceCounter",
    "Service",
    "User",
]
