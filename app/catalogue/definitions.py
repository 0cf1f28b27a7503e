"""Service catalogue definitions, parsed from YAML.

A catalogue file is either ``{"departments": [...], "services": [...]}`` or a single service
mapping. Parsing collects every problem, each prefixed by its location
(``services[2].documents[0].max_bytes: ...``), so that an administrator can fix a file in one go.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from app.catalogue import deadlines, fees
from app.catalogue.formschema import SchemaError, check_schema

if TYPE_CHECKING:
    from app.catalogue.categories import CategoryDefinition

SERVICE_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
DEPARTMENT_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
DOCUMENT_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,49}")
TEMPLATE_RE = re.compile(r"[a-z][a-z0-9_-]{0,49}")
ACCEPTED_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DEFAULT_DOCUMENT_BYTES = 5 * 1024 * 1024
DEFAULT_WORKFLOWS = ("single_approval", "two_level")
# Bounds follow the columns that store these texts.
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000

_SERVICE_REQUIRED = frozenset(
    {
        "code",
        "name_id",
        "name_en",
        "description_id",
        "description_en",
        "department_code",
        "form_schema",
        "documents",
        "sla_days",
        "validity_months",
        "workflow",
    }
)
_SERVICE_OPTIONAL = (
    frozenset({"certificate_template", "key_fields", "fee_idr", "fee", "active"}) | deadlines.KEYS
)
_DOCUMENT_REQUIRED = frozenset({"code", "label_id", "label_en", "accepted_types"})
_DOCUMENT_OPTIONAL = frozenset({"max_bytes", "mandatory"})


@dataclass(frozen=True)
class DocumentRequirement:
    code: str
    label_id: str
    label_en: str
    accepted_types: tuple[str, ...]
    max_bytes: int
    mandatory: bool


@dataclass(frozen=True)
class ServiceDefinition:
    code: str
    name_id: str
    name_en: str
    description_id: str
    description_en: str
    department_code: str
    form_schema: dict
    documents: tuple[DocumentRequirement, ...]
    sla_days: int
    validity_months: int | None
    workflow: str
    certificate_template: str = "default"
    key_fields: tuple[str, ...] = ()
    fee_idr: int = 0
    # None: the file does not say, so a stored service keeps what an admin set (on for new ones).
    active: bool | None = None
    # The deadline keys the file gave (app.catalogue.deadlines), defaults left out.
    deadlines: dict = dataclasses.field(default_factory=dict)
    # The fee schedule (app.catalogue.fees), normalised; {} when the file names none.
    fee: dict = dataclasses.field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 (hex) of everything but ``active``: any other change makes a new version."""
        content = dataclasses.asdict(self)
        del content["active"]
        if not content["deadlines"]:  # hashes from before deadlines existed stay the same
            del content["deadlines"]
        if not content["fee"]:  # nor do hashes from before fee schedules
            del content["fee"]
        # Sorted keys would hide a reordering of the form's fields, which changes the form.
        content["form_field_order"] = list(self.form_schema.get("properties", {}))
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class DepartmentDefinition:
    code: str
    name: str


@dataclass(frozen=True)
class Catalogue:
    departments: tuple[DepartmentDefinition, ...]
    services: tuple[ServiceDefinition, ...]
    # Complaint categories (app/catalogue/categories.py), beside the services.
    categories: tuple[CategoryDefinition, ...] = ()


class CatalogueError(ValueError):
    """A catalogue file with problems; ``problems`` lists every one, each with its location."""

    def __init__(self, problems: list[str], *, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(f"{head}{count} problem(s) in the service catalogue:\n{lines}")


def demo_catalogue_path() -> Path:
    """The bundled demo catalogue (Jakarta-style PTSP services)."""
    return Path(__file__).parent / "demo" / "catalogue.yaml"


def load_catalogue(path: Path) -> Catalogue:
    """Read and parse a catalogue file; problems are reported with the file name."""
    try:
        text = path.read_text(encoding="utf-8")
        return parse_catalogue(text)
    except UnicodeDecodeError as exc:
        raise CatalogueError([f"(file): not UTF-8 text: {exc}"], source=str(path)) from None
    except CatalogueError as exc:
        raise CatalogueError(exc.problems, source=str(path)) from None


def parse_catalogue(
    text: str, *, known_workflows: Collection[str] = DEFAULT_WORKFLOWS
) -> Catalogue:
    """Parse catalogue YAML; raises CatalogueError listing every problem found."""
    problems: list[str] = []
    document = _load_yaml(text, problems)
    catalogue = None
    if not problems:
        catalogue = _parse_top(document, problems, tuple(known_workflows))
    if problems or catalogue is None:
        raise CatalogueError(problems)
    return catalogue


# --- YAML -----------------------------------------------------------------------------------------


def _load_yaml(text: str, problems: list[str]) -> Any:
    try:
        # Composing (no object construction) finds duplicate keys, which safe_load silently merges.
        _duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), problems, set())
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(f"(yaml): {exc}")
        return None
    if document is None:
        problems.append("(top level): the catalogue is empty")
    return document


def _duplicate_keys(node: yaml.Node | None, problems: list[str], visited: set[int]) -> None:
    if node is None or id(node) in visited:
        return
    visited.add(id(node))  # aliases can make the node graph cyclic
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in keys:
                    line = key_node.start_mark.line + 1
                    problems.append(f"(yaml) line {line}: duplicate key {key_node.value!r}")
                keys.add(key_node.value)
            _duplicate_keys(value_node, problems, visited)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _duplicate_keys(child, problems, visited)


# --- reading mappings -----------------------------------------------------------------------------


class Reader:
    """Reads typed values from one mapping, recording problems instead of stopping at the first.

    On a problem a getter returns a placeholder; the caller raises before placeholders escape.
    """

    def __init__(
        self,
        mapping: dict,
        where: str,
        problems: list[str],
        *,
        required: frozenset[str],
        optional: frozenset[str],
    ) -> None:
        self.mapping, self.where, self.problems = mapping, where, problems
        for key in mapping:
            if key not in required | optional:
                self.fail(str(key), "unknown key")
        for key in sorted(required):
            if key not in mapping:
                self.fail(key, "is required")

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, text: str) -> None:
        self.problems.append(f"{self.path(key)}: {text}")

    def text(self, key: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
        value = self.mapping.get(key)
        if key not in self.mapping:
            return ""
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            self.fail(key, f"must be a non-empty string of at most {max_length} characters")
            return ""
        return value.strip()

    def code(self, key: str, pattern: re.Pattern[str], default: str = "") -> str:
        if key not in self.mapping:
            return default
        value = self.mapping[key]
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            self.fail(key, f"must match ^{pattern.pattern}$")
            return default
        return value

    def integer(
        self, key: str, *, low: int, high: int, default: int | None = None, nullable: bool = False
    ) -> int | None:
        value = self.mapping.get(key, default)
        if value is None and (nullable or key not in self.mapping):
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            extra = " or null" if nullable else ""
            self.fail(key, f"must be an integer from {low} to {high}{extra}")
            return low
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.mapping.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.mapping.get(key)
        if key in self.mapping and value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}")
        return value if isinstance(value, str) else ""

    def items(self, key: str) -> list:
        value = self.mapping.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        return value


# --- catalogue structure --------------------------------------------------------------------------


def _parse_top(document: Any, problems: list[str], workflows: tuple[str, ...]) -> Catalogue | None:
    if not isinstance(document, dict):
        problems.append("(top level): must be a mapping with 'services', or one service mapping")
        return None
    if not {"services", "departments", "categories"} & set(document):
        service = _parse_service(document, "", problems, workflows, None)
        return Catalogue(departments=(), services=(service,) if service else ())
    reader = Reader(
        document,
        "",
        problems,
        required=frozenset(),
        optional=frozenset({"departments", "services", "categories"}),
    )
    departments = _parse_departments(reader.items("departments"), problems)
    known = {department.code for department in departments} if departments else None
    raw_services = reader.items("services")
    if "services" not in document and "categories" not in document:
        problems.append("services: is required")
    elif document.get("services", ...) in (None, []):
        problems.append("services: must list at least one service")
    services = [
        _parse_service(raw, f"services[{index}]", problems, workflows, known)
        for index, raw in enumerate(raw_services)
    ]
    _check_unique([s.code if s else None for s in services], "services", problems)
    return Catalogue(
        departments=departments,
        services=tuple(s for s in services if s),
        categories=_parse_categories(reader.items("categories"), problems, known),
    )


def _parse_categories(
    raw: list, problems: list[str], departments: set[str] | None
) -> tuple[CategoryDefinition, ...]:
    from app.catalogue.categories import CATEGORY_OPTIONAL, CATEGORY_REQUIRED, parse_category

    parsed: list[CategoryDefinition | None] = []
    for index, item in enumerate(raw):
        where = f"categories[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            parsed.append(None)
            continue
        reader = Reader(
            item, where, problems, required=CATEGORY_REQUIRED, optional=CATEGORY_OPTIONAL
        )
        parsed.append(parse_category(reader, departments))
    _check_unique([c.code if c else None for c in parsed], "categories", problems)
    return tuple(c for c in parsed if c)


def _check_unique(codes: list[str | None], where: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code and code in seen:
            problems.append(f"{where}[{index}].code: duplicate code {code!r}")
        if code:
            seen.add(code)


def _parse_departments(raw: list, problems: list[str]) -> tuple[DepartmentDefinition, ...]:
    departments: list[DepartmentDefinition | None] = []
    for index, item in enumerate(raw):
        where = f"departments[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            departments.append(None)
            continue
        reader = Reader(
            item, where, problems, required=frozenset({"code", "name"}), optional=frozenset()
        )
        departments.append(
            DepartmentDefinition(
                code=reader.code("code", DEPARTMENT_CODE_RE), name=reader.text("name")
            )
        )
    _check_unique([d.code if d else None for d in departments], "departments", problems)
    return tuple(d for d in departments if d)


def _parse_service(
    raw: Any,
    where: str,
    problems: list[str],
    workflows: tuple[str, ...],
    departments: set[str] | None,
) -> ServiceDefinition | None:
    if not isinstance(raw, dict):
        problems.append(f"{where or '(top level)'}: must be a mapping")
        return None
    r = Reader(raw, where, problems, required=_SERVICE_REQUIRED, optional=_SERVICE_OPTIONAL)
    form_schema = _form_schema(r)
    department_code = r.code("department_code", DEPARTMENT_CODE_RE)
    if departments is not None and department_code and department_code not in departments:
        r.fail("department_code", f"unknown department {department_code!r}")
    code = r.code("code", SERVICE_CODE_RE)
    return ServiceDefinition(
        code=code,
        name_id=r.text("name_id"),
        name_en=r.text("name_en"),
        description_id=r.text("description_id", max_length=MAX_DESCRIPTION_LENGTH),
        description_en=r.text("description_en", max_length=MAX_DESCRIPTION_LENGTH),
        department_code=department_code,
        form_schema=form_schema,
        documents=_documents(r),
        sla_days=r.integer("sla_days", low=1, high=365) or 1,
        validity_months=r.integer("validity_months", low=1, high=600, nullable=True),
        workflow=r.choice("workflow", workflows),
        certificate_template=r.code("certificate_template", TEMPLATE_RE, default="default"),
        key_fields=_key_fields(r, form_schema),
        fee_idr=r.integer("fee_idr", low=0, high=10**12, default=0) or 0,
        active=r.boolean("active", default=True) if "active" in r.mapping else None,
        deadlines=deadlines.parse(raw, where, problems),
        fee=fees.parse(raw.get("fee"), r.path("fee"), problems, form_schema, service=code),
    )


def _form_schema(r: Reader) -> dict:
    if "form_schema" not in r.mapping:
        return {}
    try:
        return check_schema(r.mapping["form_schema"])
    except SchemaError as exc:
        for location, text in exc.problems:
            r.fail(f"form_schema.{location}" if location else "form_schema", text)
        return {}


def _key_fields(r: Reader, form_schema: dict) -> tuple[str, ...]:
    names = r.items("key_fields")
    fields = form_schema.get("properties")
    for index, name in enumerate(names):
        if not isinstance(name, str):
            r.fail(f"key_fields[{index}]", "must be a form field name")
        elif fields is not None and name not in fields:
            r.fail(f"key_fields[{index}]", f"{name!r} is not a field of form_schema")
        elif names.index(name) != index:
            r.fail(f"key_fields[{index}]", f"{name!r} is listed twice")
    return tuple(name for name in names if isinstance(name, str))


def _documents(r: Reader) -> tuple[DocumentRequirement, ...]:
    documents = [
        _parse_document(raw, f"{r.path('documents')}[{index}]", r.problems)
        for index, raw in enumerate(r.items("documents"))
    ]
    _check_unique([d.code if d else None for d in documents], r.path("documents"), r.problems)
    return tuple(d for d in documents if d)


def _parse_document(raw: Any, where: str, problems: list[str]) -> DocumentRequirement | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    r = Reader(raw, where, problems, required=_DOCUMENT_REQUIRED, optional=_DOCUMENT_OPTIONAL)
    return DocumentRequirement(
        code=r.code("code", DOCUMENT_CODE_RE),
        label_id=r.text("label_id"),
        label_en=r.text("label_en"),
        accepted_types=_accepted_types(r),
        max_bytes=r.integer(
            "max_bytes", low=1, high=MAX_DOCUMENT_BYTES, default=DEFAULT_DOCUMENT_BYTES
        )
        or 1,
        mandatory=r.boolean("mandatory", default=True),
    )


def _accepted_types(r: Reader) -> tuple[str, ...]:
    types = r.items("accepted_types")
    if "accepted_types" in r.mapping and r.mapping["accepted_types"] in (None, []):
        r.fail("accepted_types", "must list at least one type")
    for index, kind in enumerate(types):
        if kind not in ACCEPTED_TYPES:
            allowed = ", ".join(ACCEPTED_TYPES)
            r.fail(f"accepted_types[{index}]", f"{kind!r} is not one of {allowed}")
        elif types.index(kind) != index:
            r.fail(f"accepted_types[{index}]", f"{kind!r} is listed twice")
    return tuple(kind for kind in types if isinstance(kind, str))
