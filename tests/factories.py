"""Small factories for tests: users, tokens, applications in any state."""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient

from app.accounts.service import create_user
from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.models import User
from app.oauth.service import FIRST_PARTY_CLIENT, USER_SCOPES
from app.runtime import Runtime

CATALOGUE = Path(__file__).parent / "fixtures" / "catalogue.yaml"
PASSWORD = "kata-sandi-uji-coba"
_counter = itertools.count(1)


def pdf_bytes(text: str = "dokumen") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_nik(serial: int) -> str:
    """A structurally valid NIK: South Jakarta, born 15-03-1990, distinct serial."""
    return f"317101150390{serial % 10000:04d}" if serial % 10000 else "3171011503909999"


@dataclass
class World:
    """Seeded test catalogue plus helpers that drive the real HTTP API."""

    runtime: Runtime
    client: TestClient
    users: dict[str, User] = field(default_factory=dict)

    def user(
        self,
        role: str = "citizen",
        *,
        department: str = "DINASA",
        officer_roles: tuple[str, ...] = ("verifier", "approver"),
        name: str | None = None,
        email: str | None = None,
    ) -> User:
        n = next(_counter)
        with transaction(self.runtime.engine) as session:
            user = create_user(
                session,
                passwords=self.runtime.passwords,
                email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.id",
                password=PASSWORD,
                full_name=name or f"Pengguna {n}",
                role=role,
                department_code=department if role == "officer" else None,
                officer_roles=frozenset(officer_roles) if role == "officer" else frozenset(),
                nik=make_nik(n) if role == "citizen" else None,
            )
        return user

    def headers(self, user: User, scopes=USER_SCOPES, lang: str = "en") -> dict[str, str]:
        token, _ = self.runtime.tokens.issue_access_token(
            subject=str(user.id), client_id=FIRST_PARTY_CLIENT, scopes=scopes
        )
        return {"Authorization": f"Bearer {token}", "Accept-Language": lang}

    def create(
        self, user: User, service: str = "SIMPLE", data: dict | None = None, **extra
    ) -> dict:
        body = {
            "service_code": service,
            "data": self.default_data(service) if data is None else data,
            **extra,
        }
        response = self.client.post("/api/v1/applications", json=body, headers=self.headers(user))
        assert response.status_code == 201, response.text
        return response.json()

    @staticmethod
    def default_data(service: str) -> dict:
        if service == "SIMPLE":
            return {"business_name": "Warung Sejahtera", "employees": 3}
        return {"business_name": "Warung Sejahtera"}

    def upload(
        self,
        user: User,
        application: dict,
        requirement: str = "ktp",
        content: bytes | None = None,
        filename: str = "ktp.pdf",
        media_type: str = "application/pdf",
    ):
        return self.client.post(
            f"/api/v1/applications/{application['id']}/documents",
            data={"requirement": requirement},
            files={"file": (filename, content or pdf_bytes(), media_type)},
            headers=self.headers(user),
        )

    def act(
        self,
        user: User,
        application: dict,
        action: str,
        comment: str | None = None,
        version: int | None = None,
    ):
        current = self.get(application["id"], user)
        body = {"action": action, "version": version or current["version"]}
        if comment is not None:
            body["comment"] = comment
        return self.client.post(
            f"/api/v1/applications/{application['id']}/transitions",
            json=body,
            headers=self.headers(user),
        )

    def get(self, application_id: str, user: User) -> dict:
        response = self.client.get(
            f"/api/v1/applications/{application_id}", headers=self.headers(user)
        )
        assert response.status_code == 200, response.text
        return response.json()

    def submitted(self, citizen: User, service: str = "SIMPLE") -> dict:
        application = self.create(citizen, service)
        assert self.upload(citizen, application).status_code == 201
        response = self.act(citizen, application, "submit")
        assert response.status_code == 200, response.text
        return response.json()

    def in_state(
        self, state: str, *, citizen: User, officer: User, service: str = "SIMPLE"
    ) -> dict:
        """Drive an application to ``state`` through the real API."""
        if state == "draft":
            return self.create(citizen, service)
        application = self.submitted(citizen, service)
        steps = {
            "submitted": [],
            "in_review": ["start_review"],
            "revision_requested": ["start_review", "request_revision"],
            "approved": ["start_review", "approve"],
            "rejected": ["start_review", "reject"],
        }
        for action in steps[state]:
            needs_comment = action in ("request_revision", "reject")
            response = self.act(
                officer, application, action, comment="Mohon dilengkapi" if needs_comment else None
            )
            assert response.status_code == 200, response.text
            application = response.json()
        return application


def seed_catalogue(runtime: Runtime) -> None:
    with transaction(runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATALOGUE))


def application_rows(service, *, applicant_id: uuid.UUID, **fields) -> list:
    """A case of kind "application" and its application row, for tests that write straight
    into the tables (statistics fixtures): ``[case, application]``, to ``session.add_all``."""
    from app.models import Application, Case

    case = Case(
        kind="application",
        subject_code=service.code,
        workflow=service.workflow,
        department_id=service.department_id,
        owner_id=applicant_id,
        **fields,
    )
    return [case, Application(id=case.id, service_id=service.id)]
