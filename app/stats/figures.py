"""Aggregates over facts, and the small-cell suppression that keeps them non-personal."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

MIN_CELL = 10
COUNTS = ("received", "approved", "rejected", "withdrawn", "decided", "open_now")
CERTIFICATE_COUNTS = ("certificates_issued", "certificates_revoked")
# Deadlines that bind (app.cases.deadlines.COUNTED_EVENTS): events recorded in the period.
# Extensions are their own count: an extended file decided in its extra days is not on time.
DEADLINE_COUNTS = (
    "warnings",
    "escalations",
    "extensions",
    "deemed_approvals",
    "objections",
    "objections_upheld",
    "objections_granted",
    "objections_deemed_granted",
)
RATES = ("median_working_days", "p90_working_days", "pct_within_sla", "revision_rate")
# The columns of a figures table on a page, in reading order; the percentages among them.
TABLE_FIGURES = (
    "received",
    "decided",
    "approved",
    "rejected",
    "withdrawn",
    "open_now",
    "median_working_days",
    "p90_working_days",
    "pct_within_sla",
    "revision_rate",
)
PERCENT_FIGURES = frozenset({"pct_within_sla", "revision_rate"})
# Calendar-day age buckets of open applications: (label, lowest age, highest age or None).
BACKLOG_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("91+", 91, None))


@dataclass(frozen=True)
class Period:
    """Inclusive office-day range."""

    start: date
    end: date

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def percentile(values: list[int], share: float) -> int:
    """Nearest-rank percentile of non-empty ``values`` (p90: the value 90% of files stay within)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _nth(histogram: list[tuple[int, int]], index: int) -> int:
    """The ``index``-th (from 0) value of the sorted values that ``histogram`` counts."""
    for value, count in histogram:
        if index < count:
            return value
        index -= count
    raise IndexError(index)


def median_of(counts: Mapping[int, int]) -> float | None:
    """``statistics.median`` of the values counted in ``counts`` (value -> how many)."""
    histogram = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in histogram)
    if not total:
        return None
    middle = total // 2
    if total % 2:
        return float(_nth(histogram, middle))
    return float((_nth(histogram, middle - 1) + _nth(histogram, middle)) / 2)


def percentile_of(counts: Mapping[int, int], share: float) -> int | None:
    """:func:`percentile` of the values counted in ``counts``."""
    histogram = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in histogram)
    return _nth(histogram, max(0, math.ceil(share * total) - 1)) if total else None


def summarise(
    counts: Mapping[str, int],
    times: Mapping[int, int],
    *,
    open_now: int = 0,
    backlog: Mapping[str, int] | None = None,
) -> dict:
    """Raw (unsuppressed) figures for one group from its summed counts (see ``stats.counts``):
    ``times`` counts the decisions per number of working days held."""
    approved, rejected = counts.get("approved", 0), counts.get("rejected", 0)
    decided = approved + rejected
    row: dict = {
        "received": counts.get("received", 0),
        "approved": approved,
        "rejected": rejected,
        "withdrawn": counts.get("withdrawn", 0),
        "decided": decided,
        "open_now": open_now,
        "median_working_days": median_of(times),
        "p90_working_days": percentile_of(times, 0.9),
        "pct_within_sla": _share(counts.get("within_sla", 0), decided),
        "revision_rate": _share(counts.get("revised", 0), decided),
    }
    row["backlog"] = {label: (backlog or {}).get(label, 0) for label, _, _ in BACKLOG_BUCKETS}
    return row


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


Cell = tuple[int, str]


def flatten(row: dict) -> dict:
    """One level: ``backlog`` becomes ``backlog.0-7`` and so on."""
    flat = {k: v for k, v in row.items() if k != "backlog"}
    flat |= {f"backlog.{label}": n for label, n in row.get("backlog", {}).items()}
    return flat


def _counted(name: str) -> bool:
    return (
        name in COUNTS
        or name in CERTIFICATE_COUNTS
        or name in DEADLINE_COUNTS
        or name.startswith("backlog.")
    )


def _initial_hidden(index: int, row: dict) -> set[Cell]:
    # A zero reveals nobody, so only 1..9 is small; rates need at least 10 decisions.
    hidden = {(index, n) for n, v in row.items() if _counted(n) and v and v < MIN_CELL}
    if row["decided"] < MIN_CELL:
        hidden |= {(index, name) for name in RATES}
    return hidden


def _groups(rows: list[dict], siblings: Sequence[Sequence[int]]) -> list[list[Cell]]:
    """Cells that add up to a published total: hiding only one of them would not hide it."""
    groups: list[list[Cell]] = []
    for i, row in enumerate(rows):
        groups.append([(i, "approved"), (i, "rejected")])
        groups.append([(i, name) for name in row if name.startswith("backlog.")])
    for members in siblings:
        if len(members) > 1:
            names = [n for n in rows[members[0]] if _counted(n)]
            groups.extend([(i, name) for i in members] for name in names)
    return groups


def hidden_cells(rows: list[dict], *, siblings: Sequence[Sequence[int]] = ()) -> set[Cell]:
    """Small cells, plus complementary ones until no hidden cell can be derived by subtraction."""
    hidden: set[Cell] = set()
    for i, row in enumerate(rows):
        hidden |= _initial_hidden(i, row)
    return complete(rows, hidden, _groups(rows, siblings))


def complete(rows: list[dict], hidden: set[Cell], groups: list[list[Cell]]) -> set[Cell]:
    """``hidden`` grown until no group (cells adding up to a published total) has exactly one
    hidden cell: each time the smallest visible cell of such a group is hidden too."""
    hidden, changed = set(hidden), True
    while changed:
        changed = False
        for group in groups:
            lone = [cell for cell in group if cell in hidden]
            visible = [cell for cell in group if cell not in hidden]
            if len(lone) == 1 and visible:
                hidden.add(min(visible, key=lambda c: (rows[c[0]][c[1]], c)))
                changed = True
    return hidden


def publish(rows: list[dict], *, siblings: Sequence[Sequence[int]] = ()) -> list[dict]:
    """Rows with hidden cells set to None and listed under ``suppressed``."""
    flat = [flatten(row) for row in rows]
    hidden = hidden_cells(flat, siblings=siblings)
    published = []
    for i, row in enumerate(flat):
        names = sorted(name for j, name in hidden if j == i)
        out = {name: (None if name in names else value) for name, value in row.items()}
        backlog = {
            k.removeprefix("backlog."): out.pop(k) for k in list(out) if k.startswith("backlog.")
        }
        if backlog:
            out["backlog"] = backlog
        published.append(out | {"suppressed": names})
    return published
