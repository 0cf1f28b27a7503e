"""Aggregates over facts, and the small-cell suppression that keeps them non-personal."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.models import ApplicationFact

MIN_CELL = 10
COUNTS = ("received", "approved", "rejected", "withdrawn", "decided", "open_now")
CERTIFICATE_COUNTS = ("certificates_issued", "certificates_revoked")
RATES = ("median_working_days", "p90_working_days", "pct_within_sla", "revision_rate")
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


def summarise(facts: Iterable[ApplicationFact], *, period: Period, today: date) -> dict:
    """Raw (unsuppressed) figures for one group of facts."""
    facts = list(facts)
    decided = [
        f for f in facts if f.outcome in ("approved", "rejected") and period.holds(f.decided_on)
    ]
    times = [f.working_days for f in decided if f.working_days is not None]
    row: dict = {
        "received": sum(1 for f in facts if period.holds(f.submitted_on)),
        "approved": sum(1 for f in decided if f.outcome == "approved"),
        "rejected": sum(1 for f in decided if f.outcome == "rejected"),
        "withdrawn": sum(
            1 for f in facts if f.outcome == "withdrawn" and period.holds(f.decided_on)
        ),
        "decided": len(decided),
        "open_now": sum(1 for f in facts if f.outcome is None),
        "median_working_days": float(statistics.median(times)) if times else None,
        "p90_working_days": percentile(times, 0.9) if times else None,
        "pct_within_sla": _share(sum(1 for f in decided if f.within_sla), len(decided)),
        "revision_rate": _share(sum(1 for f in decided if f.revision_requested), len(decided)),
    }
    row["backlog"] = _backlog([f for f in facts if f.outcome is None], today=today)
    return row


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _backlog(open_facts: list[ApplicationFact], *, today: date) -> dict[str, int]:
    buckets = {label: 0 for label, _, _ in BACKLOG_BUCKETS}
    for fact in open_facts:
        age = (today - fact.submitted_on).days
        for label, low, high in BACKLOG_BUCKETS:
            if age >= low and (high is None or age <= high):
                buckets[label] += 1
                break
    return buckets


Cell = tuple[int, str]


def flatten(row: dict) -> dict:
    """One level: ``backlog`` becomes ``backlog.0-7`` and so on."""
    flat = {k: v for k, v in row.items() if k != "backlog"}
    flat |= {f"backlog.{label}": n for label, n in row.get("backlog", {}).items()}
    return flat


def _counted(name: str) -> bool:
    return name in COUNTS or name in CERTIFICATE_COUNTS or name.startswith("backlog.")


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
    groups, changed = _groups(rows, siblings), True
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
