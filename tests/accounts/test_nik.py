"""NIK structure checks, birth date, sex and masking."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.nik import mask_nik, nik_birth_date, nik_is_female, nik_problems

TODAY = date(2026, 5, 1)
MAN = "3171011503900001"  # South Jakarta, born 15 March 1990
WOMAN = "3171015503900002"  # same day, 40 added to the day


def english(nik: str) -> list[str]:
    return [problem.en for problem in nik_problems(nik, today=TODAY)]


@pytest.mark.parametrize(
    "nik",
    [MAN, WOMAN, "1101010101000001", "9671012912990001", "3275074102040123", "3174062904260001"],
)
def test_valid_niks(nik: str) -> None:
    assert nik_problems(nik, today=TODAY) == []


def test_birth_date_and_sex() -> None:
    assert nik_birth_date(MAN) == date(1990, 3, 15)
    assert nik_birth_date(WOMAN) == date(1990, 3, 15)
    assert not nik_is_female(MAN)
    assert nik_is_female(WOMAN)


def test_two_digit_years_after_this_year_are_last_century() -> None:
    assert nik_birth_date("3171011503050001") == date(2005, 3, 15)
    assert nik_birth_date("3171011503990001") == date(1999, 3, 15)


@pytest.mark.parametrize(
    "nik",
    [
        "317101150390001",
        "31710115039000011",
        "",
        "3171 0115 0390 0001",
        "31710115039000a1",
        "3171-01-150390-0001",
        "\uff13171011503900001",
        "\u0663171011503900001",
    ],
)
def test_must_be_sixteen_ascii_digits(nik: str) -> None:
    assert english(nik) == ["NIK must be exactly 16 digits"]


@pytest.mark.parametrize(
    "province",
    ["00", "10", "20", "22", "30", "37", "50", "54", "66", "77", "80", "83", "90", "97", "99"],
)
def test_unknown_province(province: str) -> None:
    assert english(province + MAN[2:]) == ["The province code in the NIK is not known"]


@pytest.mark.parametrize(
    "province",
    ["11", "19", "21", "31", "36", "51", "53", "61", "65", "71", "76", "81", "82", "91", "96"],
)
def test_every_official_province_range(province: str) -> None:
    assert english(province + MAN[2:]) == []


def test_regency_zero() -> None:
    assert english("3100011503900001") == ["The regency/city code in the NIK is not valid"]


@pytest.mark.parametrize(
    "birth",
    [
        "300290",
        "700290",
        "290201",
        "000190",
        "320190",
        "400190",
        "720190",
        "151390",
        "150090",
        "310490",
    ],
)
def test_impossible_birth_dates(birth: str) -> None:
    assert english(f"317101{birth}0001") == ["The birth date in the NIK is not a real date"]


def test_leap_day() -> None:
    assert english("3171012902000001") == []  # 29 February 2000
    assert english("3171016902960001") == []  # a woman born 29 February 1996


def test_future_birth_date() -> None:
    assert english("3171010205260001") == ["The birth date in the NIK is in the future"]
    assert english("3171010105260001") == []  # born today


def test_serial_zero() -> None:
    assert english("3171011503900000") == ["The serial number in the NIK is not valid"]


def test_all_problems_are_reported_in_both_languages() -> None:
    problems = nik_problems("2000013002900000", today=TODAY)
    assert len(problems) == 4
    assert problems[0].id == "Kode provinsi pada NIK tidak dikenal"


def test_default_today_is_used() -> None:
    assert nik_problems(MAN) == []
    assert nik_problems("3171010101990001") == []


def test_derived_values_refuse_invalid_niks() -> None:
    with pytest.raises(ValueError):
        nik_birth_date("3171013002900001")
    with pytest.raises(ValueError):
        nik_is_female("abc")


def test_mask() -> None:
    assert mask_nik(MAN) == "3171********0001"
    assert mask_nik("1234") == "****"
    assert mask_nik("") == ""
