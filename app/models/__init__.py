"""Every table, imported in one place so that Alembic's metadata sees them all."""

from app.models.accounts import (
    Department,
    LoginDevice,
    LoginThrottle,
    PasswordReset,
    RefreshToken,
    User,
)
from app.models.applications import Application
from app.models.audit import AuditCheckpoint, AuditLeaf, AuditState
from app.models.cases import Case, Document, Event, ReferenceCounter
from app.models.catalogue import Service
from app.models.certificates import Certificate, RateLimit
from app.models.complaints import Complaint, ComplaintCategory, ComplaintFollower
from app.models.integration import (
    AuthorizationCode,
    OAuthClient,
    OAuthGrant,
    OutboxMessage,
    RevokedToken,
    RevokedTokenFamily,
    WebhookSubscription,
)
from app.models.notifications import Notification
from app.models.payments import Invoice
from app.models.privacy import PersonalDataAccess
from app.models.stats import ApplicationFact, StatsCount, StatsState, StatsWorkingDays
from app.models.web import KeptForm, WebSession

__all__ = [
    "ApplicationFact",
    "Application",
    "AuditCheckpoint",
    "AuditLeaf",
    "AuditState",
    "Case",
    "Certificate",
    "Complaint",
    "ComplaintCategory",
    "ComplaintFollower",
    "Department",
    "Document",
    "Event",
    "Invoice",
    "KeptForm",
    "LoginDevice",
    "LoginThrottle",
    "Notification",
    "AuthorizationCode",
    "OAuthClient",
    "OAuthGrant",
    "OutboxMessage",
    "PasswordReset",
    "PersonalDataAccess",
    "RateLimit",
    "RefreshToken",
    "RevokedToken",
    "RevokedTokenFamily",
    "ReferenceCounter",
    "Service",
    "StatsState",
    "StatsCount",
    "StatsWorkingDays",
    "User",
    "WebSession",
    "WebhookSubscription",
]
