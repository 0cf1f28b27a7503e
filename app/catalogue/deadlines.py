"""What binds the authority's time on one service (or complaint category): the catalogue's
deadline keys, parsed, with their defaults (design section 11).

    sla_warning_share: 0.75        # warn at this share of the SLA (0 < share <= 1)
    max_extension_days: 5          # one extension of at most this many working days (0: none)
    deemed_approval:               # fiktif positif: approve when the time runs out
      enabled: true
      legal_basis_id: "Pasal 53 UU 30/2014 ..."
      legal_basis_en: "Art. 53 of Law 30/2014 ..."
    objection_window_days: 21      # keberatan after a rejection, in working days
    objection_answer_days: 10      # the head's time to answer an objection
    objection_deemed_granted: false

Only the keys a file gives are stored (``services.deadlines``), so a service whose file says
nothing keeps its content hash and takes whatever the defaults are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import Msg

DEFAULT_WARNING_SHARE = 0.75
DEFAULT_OBJECTION_WINDOW_DAYS = 21
DEFAULT_OBJECTION_ANSWER_DAYS = 10
MAX_LEGAL_BASIS_LENGTH = 300
# What a certificate names when an unanswered objection was granted by operation of law.
OBJECTION_LEGAL_BASIS = Msg(
    "Pasal 77 ayat (5) UU 30/2014 (keberatan tidak dijawab dalam tenggat)",
    "Art. 77(5) of Law 30/2014 (objection not answered in time)",
)
KEYS = frozenset(
    {
        "sla_warning_share",
        "max_extension_days",
        "deemed_approval",
        "objection_window_days",
        "objection_answer_days",
        "objection_deemed_granted",
    }
)


@dataclass(frozen=True)
class DeadlineRules:
    """The deadline rules of one service, defaults filled in."""

    warning_share: float = DEFAULT_WARNING_SHARE
    max_extension_days: int = 0
    deemed_approval: bool = False
    legal_basis: Msg | None = None  # why a deemed approval is lawful, printed on the certificate
    objection_window_days: int = DEFAULT_OBJECTION_WINDOW_DAYS
    objection_answer_days: int = DEFAULT_OBJECTION_ANSWER_DAYS
    objection_deemed_granted: bool = False

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> DeadlineRules:
        """The rules from a service's stored ``deadlines`` (already checked by ``parse``)."""
        stored = stored or {}
        deemed = stored.get("deemed_approval") or {}
        return cls(
            warning_share=float(stored.get("sla_warning_share", DEFAULT_WARNING_SHARE)),
            max_extension_days=int(stored.get("max_extension_days", 0)),
            deemed_approval=bool(deemed.get("enabled", False)),
            legal_basis=(
                Msg(deemed["legal_basis_id"], deemed["legal_basis_en"])
                if deemed.get("enabled")
                else None
            ),
            objection_window_days=int(
                stored.get("objection_window_days", DEFAULT_OBJECTION_WINDOW_DAYS)
            ),
            objection_answer_days=int(
                stored.get("objection_answer_days", DEFAULT_OBJECTION_ANSWER_DAYS)
            ),
            objection_deemed_granted=bool(stored.get("objection_deemed_granted", False)),
        )


def parse(mapping: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """The deadline keys of a service mapping, checked; problems are appended with their place."""
    found: dict[str, Any] = {}

    def fail(key: str, text: str) -> None:
        problems.append(f"{where}.{key}: {text}" if where else f"{key}: {text}")

    if "sla_warning_share" in mapping:
        share = mapping["sla_warning_share"]
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            fail("sla_warning_share", "must be a number greater than 0 and at most 1")
        else:
            found["sla_warning_share"] = float(share)
    for key, low, high in (
        ("max_extension_days", 0, 365),
        ("objection_window_days", 1, 365),
        ("objection_answer_days", 1, 365),
    ):
        if key in mapping:
            value = mapping[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                fail(key, f"must be an integer from {low} to {high}")
            else:
                found[key] = value
    if "objection_deemed_granted" in mapping:
        if not isinstance(mapping["objection_deemed_granted"], bool):
            fail("objection_deemed_granted", "must be true or false")
        else:
            found["objection_deemed_granted"] = mapping["objection_deemed_granted"]
    if "deemed_approval" in mapping:
        deemed = _deemed_approval(mapping["deemed_approval"], fail)
        if deemed is not None:
            found["deemed_approval"] = deemed
    return found


def _deemed_approval(raw: Any, fail) -> dict[str, Any] | None:
    key = "deemed_approval"
    if raw is False:
        return {"enabled": False}
    if not isinstance(raw, dict):
        fail(key, "must be a mapping {enabled, legal_basis_id, legal_basis_en} or false")
        return None
    unknown = set(raw) - {"enabled", "legal_basis_id", "legal_basis_en"}
    if unknown:
        fail(key, f"unknown keys {sorted(unknown)}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"{key}.enabled", "must be true or false")
        return None
    result: dict[str, Any] = {"enabled": enabled}
    for text_key in ("legal_basis_id", "legal_basis_en"):
        text = raw.get(text_key)
        if text is None and not enabled:
            continue
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_LEGAL_BASIS_LENGTH:
            fail(
                f"{key}.{text_key}",
                "the legal basis is required: a non-empty string of at most "
                f"{MAX_LEGAL_BASIS_LENGTH} characters",
            )
            return None
        result[text_key] = text.strip()
    return result
