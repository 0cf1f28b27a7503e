"""The case types this deployment runs, registered with the case kernel once per process.

The kernel (``app.cases``) knows no case type; this composition root tells it which exist.
Registering checks every workflow's guards and effects against their handlers, so a misspelt
name stops the process at start-up.
"""

from __future__ import annotations


def install() -> None:
    """Register every case type with the kernel (idempotent)."""
    from app.applications.kind import APPLICATION
    from app.cases.actions import register_kind
    from app.complaints.kind import COMPLAINT

    register_kind(APPLICATION)
    register_kind(COMPLAINT)
