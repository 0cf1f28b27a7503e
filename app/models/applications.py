"""Permit applications: what a case of kind "application" adds to the kernel's case row."""

from __future__ import annotations

import uuid

from sqlmodel import Field, SQLModel


class Application(SQLModel, table=True):
    __tablename__ = "applications"

    id: uuid.UUID = Field(foreign_key="cases.id", primary_key=True)
    # The service version the application started on: its form, documents, SLA and workflow.
    service_id: int = Field(foreign_key="services.id", index=True)
