"""Complaint categories in the catalogue file: what residents may report, and who fixes it.

A category names the department responsible, optional routing rules by area (a kota,
kecamatan or kelurahan code to a unit of that department or to another department; the first
rule whose area contains the report's kelurahan wins), extra questions in the form-schema
subset the services use, whether its reports are public, its SLA (first response within N
office hours, resolution within N working days) and the radius within which an open report of
the same category counts as a possible duplicate. Parsed with the services, problems collected
with their location (``categories[1].routing[0].area: ...``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from app.catalogue import areas, deadlines
from app.catalogue.definitions import DEPARTMENT_CODE_RE, SERVICE_CODE_RE, Reader
from app.catalogue.formschema import SchemaError, check_schema

# The duplicate lookup searches the grid cells around a point; a cell is wider than this
# (app/complaints/geo.py), so a radius up to it never misses a report in the next cell.
MAX_DUPLICATE_RADIUS_M = 200
MAX_UNIT_LENGTH = 100

CATEGORY_REQUIRED = frozenset(
    {
        "code",
        "name_id",
        "name_en",
        "department_code",
        "response_hours",
        "resolution_days",
        "duplicate_radius_m",
    }
)
CATEGORY_OPTIONAL = frozenset(
    {
        "description_id",
        "description_en",
        "routing",
        "form_schema",
        "public",
        "anonymous_allowed",
        "exact_location_public",
        "active",
    }
) | (deadlines.KEYS - {"deemed_approval"})
_RULE_KEYS = frozenset({"department_code", "unit"})


@dataclass(frozen=True)
class RoutingRule:
    area: str  # a Kemendagri code prefix: "31.74" (a kota), "31.74.01" (a kecamatan), ...
    department_code: str | None = None  # None: the category's own department
    unit: str | None = None  # the unit within the department that takes it (a Suku Dinas)


@dataclass(frozen=True)
class CategoryDefinition:
    code: str
    name_id: str
    name_en: str
    department_code: str
    response_hours: int
    resolution_days: int
    duplicate_radius_m: int
    description_id: str = ""
    description_en: str = ""
    routing: tuple[RoutingRule, ...] = ()
    form_schema: dict = dataclasses.field(default_factory=dict)
    public: bool = True
    anonymous_allowed: bool = False
    exact_location_public: bool = True
    active: bool | None = None
    # The deadline keys the file gave (app.catalogue.deadlines; no deemed approval: a report
    # asks for a repair, which no law grants by silence), defaults left out.
    deadlines: dict = dataclasses.field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 (hex) of everything but ``active``: any other change makes a new version."""
        content = dataclasses.asdict(self)
        del content["active"]
        if not content["deadlines"]:  # hashes from before deadlines existed stay the same
            del content["deadlines"]
        content["form_field_order"] = list(self.form_schema.get("properties", {}))
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()

    def route(self, area_code: str | None) -> RoutingRule:
        """Who takes a report in ``area_code`` (see ``first_match``)."""
        return first_match(self.routing, area_code, department_code=self.department_code)

    def department_codes(self) -> set[str]:
        return {self.department_code} | {
            r.department_code for r in self.routing if r.department_code
        }


def first_match(
    rules: tuple[RoutingRule, ...], area_code: str | None, *, department_code: str
) -> RoutingRule:
    """The rule that decides who takes a report in ``area_code`` (first match wins), with the
    category's own department filled in; the department alone when no rule matches or the
    report names no area."""
    if area_code:
        for rule in rules:
            if areas.within(area_code, rule.area):
                return RoutingRule(
                    area=rule.area,
                    department_code=rule.department_code or department_code,
                    unit=rule.unit,
                )
    return RoutingRule(area=areas.PROVINCE, department_code=department_code)


def parse_category(reader: Reader, known_departments: set[str] | None) -> CategoryDefinition:
    """One category from a ``Reader`` over its mapping (problems go to the reader)."""
    r = reader
    department_code = r.code("department_code", DEPARTMENT_CODE_RE)
    _known_department(r, "department_code", department_code, known_departments)
    public = r.boolean("public", default=True)
    return CategoryDefinition(
        code=r.code("code", SERVICE_CODE_RE),
        name_id=r.text("name_id"),
        name_en=r.text("name_en"),
        description_id=r.text("description_id", max_length=2000),
        description_en=r.text("description_en", max_length=2000),
        department_code=department_code,
        response_hours=r.integer("response_hours", low=1, high=240) or 1,
        resolution_days=r.integer("resolution_days", low=1, high=365) or 1,
        duplicate_radius_m=(
            r.integer("duplicate_radius_m", low=10, high=MAX_DUPLICATE_RADIUS_M) or 10
        ),
        routing=_routing(r, known_departments),
        form_schema=_form_schema(r),
        public=public,
        anonymous_allowed=r.boolean("anonymous_allowed", default=False),
        exact_location_public=r.boolean("exact_location_public", default=public),
        active=r.boolean("active", default=True) if "active" in r.mapping else None,
        deadlines=deadlines.parse(r.mapping, r.where, r.problems),
    )


def _known_department(r: Reader, key: str, code: str, known: set[str] | None) -> None:
    if known is not None and code and code not in known:
        r.fail(key, f"unknown department {code!r}")


def _form_schema(r: Reader) -> dict:
    if "form_schema" not in r.mapping:
        return {"type": "object", "properties": {}}  # no extra questions
    try:
        return check_schema(r.mapping["form_schema"])
    except SchemaError as exc:
        for location, text in exc.problems:
            r.fail(f"form_schema.{location}" if location else "form_schema", text)
        return {}


def _routing(r: Reader, known: set[str] | None) -> tuple[RoutingRule, ...]:
    rules: list[RoutingRule] = []
    for index, raw in enumerate(r.items("routing")):
        where = f"{r.path('routing')}[{index}]"
        if not isinstance(raw, dict):
            r.problems.append(f"{where}: must be a mapping")
            continue
        rule_reader = Reader(
            raw, where, r.problems, required=frozenset({"area"}), optional=_RULE_KEYS
        )
        rule = _rule(rule_reader, known)
        if rule is None:
            continue
        shadow = next((earlier for earlier in rules if areas.within(rule.area, earlier.area)), None)
        if shadow is not None:
            rule_reader.fail(
                "area", f"never matches: the earlier rule for {shadow.area} already covers it"
            )
        rules.append(rule)
    return tuple(rules)


def _rule(r: Reader, known: set[str] | None) -> RoutingRule | None:
    area = r.mapping.get("area")
    if not isinstance(area, str) or not areas.is_known_prefix(area):
        if "area" in r.mapping:
            r.fail("area", f"{area!r} is not a Kemendagri code of an area in DKI Jakarta")
        return None
    department = r.code("department_code", DEPARTMENT_CODE_RE) or None
    if department:
        _known_department(r, "department_code", department, known)
    unit = r.text("unit", max_length=MAX_UNIT_LENGTH) or None
    if department is None and unit is None and not (set(r.mapping) - {"area"}):
        r.fail("(rule)", "names a department_code, a unit, or both")
    return RoutingRule(area=area, department_code=department, unit=unit)
