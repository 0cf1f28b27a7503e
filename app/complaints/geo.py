"""Points and the grid the duplicate lookup searches.

A report's point falls in one cell of a grid of 0.002 degrees (about 222 m north-south and
221 m east-west at Jakarta's latitude), stored as one integer beside the category and whether
the report is open. Reports within a radius up to the cell size lie in the point's cell or one
of its eight neighbours, so the lookup is an index range over nine cells (on SQLite and
PostgreSQL alike) followed by the exact distance on the few rows found.
"""

from __future__ import annotations

import math

CELL_DEGREES = 0.002
_ROW = 1_000_000  # cells per grid row: more than 360 / CELL_DEGREES
EARTH_RADIUS_M = 6_371_008.8
# The smallest side of a cell in Jakarta (at 6.4 degrees south), which bounds the radius.
CELL_METRES = CELL_DEGREES * math.pi / 180 * EARTH_RADIUS_M * math.cos(math.radians(6.4))


def _indices(lat: float, lon: float) -> tuple[int, int]:
    return math.floor((lat + 90) / CELL_DEGREES), math.floor((lon + 180) / CELL_DEGREES)


def cell_of(lat: float, lon: float) -> int:
    """The grid cell a point lies in."""
    row, column = _indices(lat, lon)
    return row * _ROW + column


def cells_around(lat: float, lon: float) -> list[int]:
    """The point's cell and its eight neighbours."""
    row, column = _indices(lat, lon)
    return [(row + dr) * _ROW + column + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def rounded(value: float, *, digits: int = 3) -> float:
    """A coordinate rounded for public view (3 digits: about 110 m)."""
    return round(value, digits)
