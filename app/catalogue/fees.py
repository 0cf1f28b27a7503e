"""Fee schedules (retribusi) as catalogue data, and the small evaluator that prices a form.

    fee:
      kind: formula                 # free | fixed | formula
      amount: 150000                # fixed: the levy in whole Rupiah
      formula: total_floor_area_m2 * rate[building_function] * 1.5
      tables:                       # lookups by an enum field of the form
        rate: {Hunian: 10000, Usaha: 25000}
      rounding: up_1000             # nearest | up | down, optionally _10 _100 _500 _1000
      due: on_submit                # on_submit | before_issue
      payable_days: 7               # calendar days an invoice stays payable

A formula is parsed with ``ast`` and walked over a closed set of nodes (numbers, the form's
numeric fields, ``table[enum_field]``, + - * /, unary minus, ``min`` and ``max``); nothing is
ever passed to ``eval``. It is checked when the catalogue loads: every field it names must be a
required numeric or enum field of the service's form, and every table must price every value of
its enum. Arithmetic is exact (``Decimal``); the result is rounded to whole Rupiah by the stated
rule ("nearest" rounds half up).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.errors import Msg

KINDS = ("free", "fixed", "formula")
DUES = ("on_submit", "before_issue")

KEYS = frozenset({"kind", "amount", "formula", "tables", "rounding", "due", "payable_days"})
ROUNDING_RE = re.compile(r"(nearest|up|down)(?:_(10|100|500|1000))?")
MAX_FORMULA_LENGTH = 500
MAX_AMOUNT = 10**12
DEFAULT_PAYABLE_DAYS = 7
_MODES = {"nearest": ROUND_HALF_UP, "up": ROUND_CEILING, "down": ROUND_FLOOR}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_FUNCTIONS = {"min": min, "max": max}
_NUMERIC = ("integer", "number")


class FormulaError(ValueError):
    """A formula the evaluator refuses, or one that cannot be priced with this data (then
    ``field`` names the form field that still has no usable value)."""

    def __init__(self, text: str, *, field: str | None = None) -> None:
        super().__init__(text)
        self.field = field


@dataclass(frozen=True)
class FeeInput:
    field: str
    value: Any  # what the form holds
    rate: Decimal | None = None  # the table's price for an enum value


@dataclass(frozen=True)
class FeeQuote:
    """A priced fee: the whole-Rupiah amount and how it was reached."""

    amount: int
    unrounded: Decimal
    inputs: tuple[FeeInput, ...]


def parse(raw: Any, where: str, problems: list[str], form_schema: dict, *, service: str) -> dict:
    """The ``fee`` key of a service, checked and normalised ({} when there is none)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return {}
    before = len(problems)
    for key in raw:
        if key not in KEYS:
            problems.append(f"{where}.{key}: unknown key")
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}.kind: must be one of {', '.join(KINDS)}")
        return {}
    if kind == "free":
        return {"kind": "free"}
    fee = {
        "kind": kind,
        "due": _choice(raw, "due", DUES, "on_submit", where, problems),
        "payable_days": _integer(raw, "payable_days", 1, 365, where, problems),
        "rounding": _rounding(raw, where, problems),
    }
    if kind == "fixed":
        amount = raw.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
            problems.append(f"{where}.amount: must be a whole number of Rupiah above 0")
        fee["amount"] = amount
    else:
        fee |= _formula(raw, where, problems, form_schema, service)
    return fee if len(problems) == before else {}


def _choice(raw: dict, key: str, choices: tuple, default: str, where: str, problems: list) -> str:
    value = raw.get(key, default)
    if value not in choices:
        problems.append(f"{where}.{key}: must be one of {', '.join(choices)}")
    return str(value)


def _integer(raw: dict, key: str, low: int, high: int, where: str, problems: list) -> int:
    value = raw.get(key, DEFAULT_PAYABLE_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where}.{key}: must be an integer from {low} to {high}")
        return low
    return value


def _rounding(raw: dict, where: str, problems: list) -> str:
    value = raw.get("rounding", "nearest")
    if not isinstance(value, str) or ROUNDING_RE.fullmatch(value) is None:
        problems.append(
            f"{where}.rounding: must be nearest, up or down, optionally with _10, _100, _500 "
            "or _1000 (e.g. up_1000)"
        )
        return "nearest"
    return value


def _formula(raw: dict, where: str, problems: list[str], form_schema: dict, service: str) -> dict:
    formula, tables = raw.get("formula"), raw.get("tables", {})
    if not isinstance(formula, str) or not formula.strip() or len(formula) > MAX_FORMULA_LENGTH:
        problems.append(f"{where}.formula: must be an expression of at most 500 characters")
        return {}
    checked = _tables(tables, f"{where}.tables", problems)
    try:
        check_formula(formula, form_schema=form_schema, tables=checked)
    except FormulaError as exc:
        problems.append(f"{where}.formula: service {service}: {exc}")
    return {"formula": formula.strip(), "tables": tables if isinstance(tables, dict) else {}}


def _tables(tables: Any, where: str, problems: list[str]) -> dict[str, dict[str, Decimal]]:
    if not isinstance(tables, dict):
        problems.append(f"{where}: must map table names to {{value: number}}")
        return {}
    checked: dict[str, dict[str, Decimal]] = {}
    for name, rows in tables.items():
        if not isinstance(name, str) or not name.isidentifier() or not isinstance(rows, dict):
            problems.append(f"{where}.{name}: must be a name mapping enum values to numbers")
            continue
        checked[name] = {}
        for key, value in rows.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"{where}.{name}.{key}: must be a number of at least 0")
                continue
            checked[name][str(key)] = Decimal(str(value))
    return checked


# --- the evaluator ------------------------------------------------------------------------------


def check_formula(
    formula: str, *, form_schema: dict, tables: dict[str, dict[str, Decimal]]
) -> None:
    """Refuse a formula the evaluator would not run, naming the field or construct."""
    fields = form_schema.get("properties", {})
    required = set(form_schema.get("required", []))
    tree = _parse(formula)
    lookups = [node for node in ast.walk(tree) if isinstance(node, ast.Subscript)]
    parts = {id(node.slice) for node in lookups} | {id(node.value) for node in lookups}
    for node in ast.walk(tree):
        if id(node) in parts:
            continue
        if isinstance(node, ast.Name) and node.id in tables:
            raise FormulaError(f"table {node.id!r} is used without [enum_field]")
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS:
            _check_field(node.id, fields, required, _NUMERIC, "a numeric")
        elif isinstance(node, ast.Subscript):
            _check_lookup(node, fields, required, tables)


def _parse(formula: str) -> ast.Expression:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not an expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(f"{type(node).__name__} is not allowed in a fee formula")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None)
            if name not in _FUNCTIONS or node.keywords or len(node.args) < 2:
                raise FormulaError("only min(a, b, ...) and max(a, b, ...) may be called")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise FormulaError(f"{node.value!r} is not a number")
    return tree


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Subscript,
    ast.Call,
    *_OPERATORS,
)


def _check_field(name: str, fields: dict, required: set, types: tuple, what: str) -> None:
    spec = fields.get(name)
    if spec is None:
        raise FormulaError(f"unknown field {name!r} (not in form_schema)")
    if spec.get("type") not in types:
        raise FormulaError(f"field {name!r} is not {what} field")
    if name not in required:
        raise FormulaError(f"field {name!r} is optional; a fee can only use required fields")


def _check_lookup(node: ast.Subscript, fields: dict, required: set, tables: dict) -> None:
    table = getattr(node.value, "id", None)
    key = getattr(node.slice, "id", None)
    if table not in tables or key is None:
        raise FormulaError("a lookup is table[enum_field] with a table from 'tables'")
    _check_field(key, fields, required, ("string",), "an enum")
    missing = [value for value in fields[key].get("enum", []) if str(value) not in tables[table]]
    if "enum" not in fields[key] or missing:
        raise FormulaError(f"table {table!r} prices no value for {key!r} = {missing or '(any)'}")


def quote(fee: dict, data: dict) -> FeeQuote:
    """Price a stored fee on a form's data; FormulaError names what is missing."""
    if fee.get("kind") == "fixed":
        return FeeQuote(amount=fee["amount"], unrounded=Decimal(fee["amount"]), inputs=())
    tables = {
        name: {key: Decimal(str(value)) for key, value in rows.items()}
        for name, rows in fee.get("tables", {}).items()
    }
    inputs: dict[str, FeeInput] = {}
    value = _evaluate(_parse(fee["formula"]).body, data, tables, inputs)
    if value < 0:
        raise FormulaError("the formula gives a negative amount")
    return FeeQuote(
        amount=round_rupiah(value, fee.get("rounding", "nearest")),
        unrounded=value,
        inputs=tuple(inputs.values()),
    )


def round_rupiah(value: Decimal, rule: str) -> int:
    """Whole Rupiah by ``rule``: nearest (half up), up or down, to 1 or the unit named."""
    match = ROUNDING_RE.fullmatch(rule)
    if match is None:
        raise FormulaError(f"unknown rounding {rule!r}")
    unit = Decimal(match.group(2) or 1)
    return int((value / unit).quantize(Decimal(1), rounding=_MODES[match.group(1)]) * unit)


def _evaluate(node: ast.AST, data: dict, tables: dict, inputs: dict[str, FeeInput]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        raw = data.get(node.id)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise FormulaError(f"field {node.id!r} has no number yet", field=node.id)
        inputs[node.id] = FeeInput(node.id, raw)
        return Decimal(str(raw))
    if isinstance(node, ast.Subscript):
        table, key = node.value.id, node.slice.id  # type: ignore[attr-defined]
        choice = data.get(key)
        if str(choice) not in tables[table] or choice is None:
            raise FormulaError(f"field {key!r} has no value yet", field=key)
        inputs[key] = FeeInput(key, choice, tables[table][str(choice)])
        return tables[table][str(choice)]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, data, tables, inputs)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, data, tables, inputs)
        right = _evaluate(node.right, data, tables, inputs)
        try:
            return _OPERATORS[type(node.op)](left, right)
        except (ZeroDivisionError, InvalidOperation):
            raise FormulaError("the formula divides by zero") from None
    assert isinstance(node, ast.Call)  # _parse allowed nothing else
    values = [_evaluate(arg, data, tables, inputs) for arg in node.args]
    return _FUNCTIONS[node.func.id](values)  # type: ignore[attr-defined]


def rounding_words(rule: str) -> Msg:
    """The rounding rule as residents read it."""
    match = ROUNDING_RE.fullmatch(rule) or ROUNDING_RE.fullmatch("nearest")
    assert match is not None
    unit = f"Rp{int(match.group(2) or 1):,}".replace(",", ".")
    words = {
        "nearest": Msg(f"dibulatkan ke {unit} terdekat", f"rounded to the nearest {unit}"),
        "up": Msg(f"dibulatkan ke atas ke {unit}", f"rounded up to {unit}"),
        "down": Msg(f"dibulatkan ke bawah ke {unit}", f"rounded down to {unit}"),
    }
    return words[match.group(1)]


def worked(formula: str, quoted: FeeQuote) -> str:
    """The formula with the form's values in place of its fields: ``120 * 10000 * 1.5``."""
    values = {item.field: item for item in quoted.inputs}

    class _Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            found = values.get(node.id)
            return ast.Constant(found.value) if found is not None else node

        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            found = values.get(getattr(node.slice, "id", ""))
            if found is None or found.rate is None:
                return node
            rate = found.rate
            return ast.Constant(int(rate) if rate == rate.to_integral_value() else float(rate))

    return ast.unparse(_Substitute().visit(_parse(formula))).replace("*", "×")


def breakdown(fee: dict, quoted: FeeQuote, *, labels: dict[str, Msg]) -> dict[str, Any]:
    """How the amount was reached, in both languages' words, kept with the invoice."""
    rule = fee.get("rounding", "nearest")
    words = rounding_words(rule)
    rates = {
        item.field: str(item.rate) if item.rate is not None else None for item in quoted.inputs
    }
    return {
        "kind": fee["kind"],
        "formula": fee.get("formula"),
        "worked": worked(fee["formula"], quoted) if fee["kind"] == "formula" else None,
        "inputs": [
            {
                "field": item.field,
                "label_id": labels.get(item.field, Msg(item.field, item.field)).id,
                "label_en": labels.get(item.field, Msg(item.field, item.field)).en,
                "value": item.value,
                "rate": rates[item.field],
            }
            for item in quoted.inputs
        ],
        "unrounded": format(quoted.unrounded.normalize(), "f"),
        "rounding": rule,
        "rounding_id": words.id,
        "rounding_en": words.en,
        "amount": quoted.amount,
    }
