"""Working-day calendar: hand-checked 2026 dates plus a brute-force oracle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.workflow.calendar import WorkingCalendar, default_calendar

CAL = WorkingCalendar()


def _naive_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Reference implementation: walk day by day through (start, end]."""
    if end < start:
        return -_naive_between(calendar, end, start)
    days = (end - start).days
    return sum(calendar.is_working_day(start + timedelta(n)) for n in range(1, days + 1))


def test_fixed_national_holidays_2026() -> None:
    names = CAL.holidays_in(2026)
    assert "Tahun Baru" in names[date(2026, 1, 1)]
    assert "Kemerdekaan" in names[date(2026, 8, 17)]
    assert "Natal" in names[date(2026, 12, 25)]
    for day in (date(2026, 1, 1), date(2026, 8, 17), date(2026, 12, 25)):
        assert not CAL.is_working_day(day)


def test_idul_fitri_2026_with_cuti_bersama() -> None:
    names = CAL.holidays_in(2026)
    # Idul Fitri 1447 H falls on Sat 21 and Sun 22 March 2026.
    assert "Idul Fitri" in names[date(2026, 3, 21)]
    assert "Idul Fitri" in names[date(2026, 3, 22)]
    # Joint leave (cuti bersama) around it: Fri 20, Mon 23, Tue 24 March.
    for day in (date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24)):
        assert names[day].startswith("Cuti Bersama")
        assert not CAL.is_working_day(day)
    # Nyepi is Thu 19 March with its own joint leave on Wed 18 March.
    assert "Nyepi" in names[date(2026, 3, 19)] and "Nyepi" in names[date(2026, 3, 18)]


def test_lebaran_week_2026_is_one_working_day_wide() -> None:
    tuesday, wednesday_after = date(2026, 3, 17), date(2026, 3, 25)
    assert CAL.is_working_day(tuesday) and CAL.is_working_day(wednesday_after)
    assert CAL.add_working_days(tuesday, 1) == wednesday_after
    assert CAL.working_days_between(tuesday, wednesday_after) == 1
    assert CAL.add_working_days(date(2026, 3, 16), 2) == wednesday_after


def test_weekends() -> None:
    friday, saturday, sunday, monday = (date(2026, 7, d) for d in (10, 11, 12, 13))
    assert CAL.is_working_day(friday) and CAL.is_working_day(monday)
    assert not CAL.is_working_day(saturday) and not CAL.is_working_day(sunday)
    assert CAL.add_working_days(friday, 1) == monday
    assert CAL.add_working_days(saturday, 1) == monday
    assert CAL.add_working_days(friday, 5) == date(2026, 7, 17)
    assert CAL.working_days_between(friday, sunday) == 0
    assert CAL.working_days_between(friday, monday) == 1


def test_zero_days() -> None:
    assert CAL.add_working_days(date(2026, 7, 10), 0) == date(2026, 7, 10)
    assert CAL.add_working_days(date(2026, 7, 11), 0) == date(2026, 7, 13)
    # Thu 24 and Fri 25 December 2026 are closed, then a weekend.
    assert CAL.add_working_days(date(2026, 12, 24), 0) == date(2026, 12, 28)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 7, 10), -1)


def test_spans_crossing_holidays() -> None:
    # Independence Day 2026 is a Monday.
    assert CAL.add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)
    # Christmas 2026: Thu 24 (cuti bersama) and Fri 25.
    assert CAL.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    # January 2026: 22 weekdays minus 1 Jan (Thu) and Isra Mikraj 16 Jan (Fri).
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 1, 31)) == 20
    # March 2026: 22 weekdays minus 18, 19, 20, 23 and 24 March.
    assert CAL.working_days_between(date(2026, 2, 28), date(2026, 3, 31)) == 17
    # 2026: 261 weekdays, 21 of them holidays or cuti bersama.
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 240


def test_negative_and_empty_spans() -> None:
    start, end = date(2026, 3, 17), date(2026, 4, 17)
    forward = CAL.working_days_between(start, end)
    assert forward > 0
    assert CAL.working_days_between(end, start) == -forward
    assert CAL.working_days_between(start, start) == 0
    assert CAL.working_days_between(date(2026, 3, 25), date(2026, 3, 17)) == -1


def test_extra_holidays() -> None:
    local = WorkingCalendar(extra_holidays=[date(2026, 3, 25), date(2026, 7, 11)])
    assert not local.is_working_day(date(2026, 3, 25))
    assert local.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 26)
    assert local.holidays_in(2026)[date(2026, 3, 25)]
    # A Saturday marked as a holiday changes nothing.
    assert local.working_days_between(date(2026, 7, 10), date(2026, 7, 13)) == 1
    assert CAL.is_working_day(date(2026, 3, 25))


def test_holidays_in_returns_a_copy() -> None:
    CAL.holidays_in(2026).clear()
    assert date(2026, 8, 17) in CAL.holidays_in(2026)


def test_unknown_country() -> None:
    with pytest.raises(ValueError, match="XX"):
        WorkingCalendar(country="XX")


def test_other_country_without_government_category() -> None:
    dutch = WorkingCalendar(country="NL")
    assert not dutch.is_working_day(date(2026, 4, 27))  # King's Day, a Monday
    assert dutch.is_working_day(date(2026, 8, 17))


def test_default_calendar_is_shared() -> None:
    assert default_calendar() is default_calendar()
    assert not default_calendar().is_working_day(date(2026, 8, 17))


def test_between_matches_day_by_day_count() -> None:
    base = date(2025, 11, 1)
    for offset in range(0, 500, 7):
        start = base + timedelta(offset)
        for length in (-40, -9, -1, 0, 1, 3, 6, 13, 45, 200, 400):
            end = start + timedelta(length)
            assert CAL.working_days_between(start, end) == _naive_between(CAL, start, end)


def test_add_and_between_are_inverse() -> None:
    base = date(2025, 12, 1)
    for offset in range(430):
        start = base + timedelta(offset)
        for days in (1, 2, 3, 5, 8, 14, 30, 61):
            end = CAL.add_working_days(start, days)
            assert CAL.is_working_day(end)
            assert CAL.working_days_between(start, end) == days
            # Minimal: the day before still falls one working day short.
            assert CAL.working_days_between(start, end - timedelta(1)) == days - 1
        nearest = CAL.add_working_days(start, 0)
        assert CAL.is_working_day(nearest) and CAL.working_days_between(start, nearest) <= 1


def test_names_do_not_depend_on_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en_US")
    assert "Kemerdekaan" in WorkingCalendar().holidays_in(2026)[date(2026, 8, 17)]
    english = WorkingCalendar(language="en_US").holidays_in(2026)
    assert english[date(2026, 3, 23)] == "Eid al-Fitr Joint Holiday"


# --- office hours (a complaint's first response) ------------------------------------------------


def test_office_hours_count_only_while_the_office_is_open() -> None:
    from datetime import datetime

    tuesday_morning = datetime(2026, 7, 7, 9, 30)
    assert CAL.add_office_hours(tuesday_morning, 2) == datetime(2026, 7, 7, 11, 30)
    # 8 hours from 09:30 Tuesday: 6.5 hours on Tuesday, 1.5 on Wednesday.
    assert CAL.add_office_hours(tuesday_morning, 8) == datetime(2026, 7, 8, 9, 30)
    # Before opening, the clock starts at 08:00; after closing, at 08:00 the next working day.
    assert CAL.add_office_hours(datetime(2026, 7, 7, 6, 0), 1) == datetime(2026, 7, 7, 9, 0)
    assert CAL.add_office_hours(datetime(2026, 7, 7, 18, 0), 1) == datetime(2026, 7, 8, 9, 0)
    # Friday evening to Monday: the weekend does not count.
    assert CAL.add_office_hours(datetime(2026, 7, 10, 17, 0), 8) == datetime(2026, 7, 13, 16, 0)
    # Exactly at closing stays on the day; a full day is 8 hours.
    assert CAL.add_office_hours(datetime(2026, 7, 7, 8, 0), 8) == datetime(2026, 7, 7, 16, 0)
    assert CAL.add_office_hours(datetime(2026, 7, 7, 8, 0), 16) == datetime(2026, 7, 8, 16, 0)


def test_office_hours_skip_the_lebaran_week() -> None:
    from datetime import datetime

    # Tuesday 17 March 2026 at 15:00; the next working day is Wednesday 25 March.
    assert CAL.add_office_hours(datetime(2026, 3, 17, 15, 0), 3) == datetime(2026, 3, 25, 10, 0)
    assert CAL.add_office_hours(datetime(2026, 3, 21, 12, 0), 0) == datetime(2026, 3, 25, 8, 0)


def test_office_hours_refuse_nonsense() -> None:
    from datetime import UTC, datetime

    with pytest.raises(ValueError):
        CAL.add_office_hours(datetime(2026, 7, 7, 9, 0), -1)
    with pytest.raises(ValueError):
        CAL.add_office_hours(datetime(2026, 7, 7, 9, 0, tzinfo=UTC), 1)
