"""NIK (Nomor Induk Kependudukan), Indonesia's 16-digit national identity number.

Layout: PP KK CC DDMMYY SSSS — province, regency/city, district, birth date (day + 40 for women)
and a serial. The checks catch typing mistakes; they cannot prove that a NIK was ever issued.
"""

from __future__ import annotations

from datetime import date

from app.errors import Msg
from app.office import today as office_today

PROVINCE_CODES = frozenset(
    [
        *range(11, 20),
        21,
        *range(31, 37),
        *range(51, 54),
        *range(61, 66),
        *range(71, 77),
        81,
        82,
        *range(91, 97),
    ]
)
_FEMALE_DAY_OFFSET = 40


def nik_problems(nik: str, *, today: date | None = None) -> list[Msg]:
    """Everything wrong with a NIK; an empty list means it is well formed."""
    if len(nik) != 16 or not (nik.isascii() and nik.isdigit()):
        return [Msg("NIK harus terdiri dari tepat 16 angka", "NIK must be exactly 16 digits")]
    problems = []
    if int(nik[:2]) not in PROVINCE_CODES:
        problems.append(
            Msg("Kode provinsi pada NIK tidak dikenal", "The province code in the NIK is not known")
        )
    if nik[2:4] == "00":
        problems.append(
            Msg(
                "Kode kabupaten/kota pada NIK tidak valid",
                "The regency/city code in the NIK is not valid",
            )
        )
    problems += _birth_date_problems(nik, today or _office_today())
    if nik[12:] == "0000":
        problems.append(
            Msg("Nomor urut pada NIK tidak valid", "The serial number in the NIK is not valid")
        )
    return problems


def _birth_date_problems(nik: str, today: date) -> list[Msg]:
    try:
        born = _birth_date(nik, today)
    except ValueError:
        return [
            Msg(
                "Tanggal lahir pada NIK tidak valid", "The birth date in the NIK is not a real date"
            )
        ]
    if born > today:
        return [
            Msg(
                "Tanggal lahir pada NIK berada di masa depan",
                "The birth date in the NIK is in the future",
            )
        ]
    return []


def _birth_date(nik: str, today: date) -> date:
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > _FEMALE_DAY_OFFSET:
        day -= _FEMALE_DAY_OFFSET
    # Two-digit years: anything after this year's two digits must be from the previous century.
    century = 1900 if year > today.year % 100 else 2000
    return date(century + year, month, day)


def _office_today() -> date:
    return office_today()


def nik_birth_date(nik: str) -> date:
    """The birth date encoded in a NIK; ValueError if the NIK is malformed."""
    if nik_problems(nik):
        raise ValueError("not a valid NIK")
    return _birth_date(nik, _office_today())


def nik_is_female(nik: str) -> bool:
    """Whether the NIK was issued to a woman (40 added to the birth day)."""
    if nik_problems(nik):
        raise ValueError("not a valid NIK")
    return int(nik[6:8]) > _FEMALE_DAY_OFFSET


def mask_nik(nik: str) -> str:
    """Show only the first and last four digits, e.g. ``3171********0001``."""
    if len(nik) <= 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]
