"""Due dates in working days: weekends, Tết, the 15:00 cut-off, and stopped clocks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tracker.domain.calendar import LOCAL_TZ, WorkingCalendar, timeliness

TET_2026 = [date(2026, 2, 14) + timedelta(days=n) for n in range(9)]  # Sat 14 – Sun 22 Feb


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.build(
        weekend=["saturday", "sunday"],
        holidays=[date(2026, 1, 1), *TET_2026],
        working_days=[date(2026, 1, 10)],  # a Saturday worked in exchange for Fri 2 Jan
        cutoff=time(15, 0),
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def test_morning_receipt_counts_from_the_same_day(calendar: WorkingCalendar) -> None:
    # GIVEN a Monday-morning receipt WHEN the procedure takes 3 working days THEN due Thursday
    assert calendar.due_date(local("2026-03-09T10:00"), 3) == date(2026, 3, 12)


def test_receipt_at_the_cutoff_counts_from_the_next_working_day(
        calendar: WorkingCalendar) -> None:
    assert calendar.due_date(local("2026-03-09T14:59:59"), 1) == date(2026, 3, 10)
    assert calendar.due_date(local("2026-03-09T15:00"), 1) == date(2026, 3, 11)


def test_weekend_is_skipped(calendar: WorkingCalendar) -> None:
    # Thursday morning + 3 working days: Fri, (Sat, Sun skipped) Mon, Tue
    assert calendar.due_date(local("2026-03-12T08:00"), 3) == date(2026, 3, 17)


def test_receipt_on_a_weekend_counts_from_monday(calendar: WorkingCalendar) -> None:
    assert calendar.start_day(local("2026-03-14T09:00")) == date(2026, 3, 16)
    assert calendar.due_date(local("2026-03-14T09:00"), 1) == date(2026, 3, 17)


def test_tet_holidays_are_skipped(calendar: WorkingCalendar) -> None:
    # Friday 13 Feb 2026 morning, 2 working days: Tết runs Sat 14 – Sun 22, so Mon 23, Tue 24
    assert calendar.due_date(local("2026-02-13T09:00"), 2) == date(2026, 2, 24)


def test_receipt_during_tet_counts_from_the_first_day_back(calendar: WorkingCalendar) -> None:
    assert calendar.start_day(local("2026-02-17T09:00")) == date(2026, 2, 23)


def test_make_up_saturday_is_a_working_day(calendar: WorkingCalendar) -> None:
    # Friday 9 January morning + 1 working day: the make-up Saturday 10 January counts.
    assert calendar.is_working_day(date(2026, 1, 10))
    assert not calendar.is_working_day(date(2026, 1, 1))
    assert calendar.due_date(local("2026-01-09T09:00"), 1) == date(2026, 1, 10)


def test_utc_times_are_judged_in_vietnamese_time(calendar: WorkingCalendar) -> None:
    # 07:30 UTC is 14:30 in Hà Nội (before the cut-off); 08:30 UTC is 15:30 (after it)
    monday = datetime.fromisoformat("2026-03-09T07:30:00+00:00")
    assert calendar.start_day(monday) == date(2026, 3, 9)
    assert calendar.start_day(monday + timedelta(hours=1)) == date(2026, 3, 10)


def test_a_stopped_clock_keeps_the_days_that_were_left(calendar: WorkingCalendar) -> None:
    # GIVEN due Friday 13 March, stopped on Monday 9 with Tue–Fri (4 days) left
    # WHEN it restarts on Wednesday 11 THEN the 4 days run Thu, Fri, Mon, Tue → due Tue 17
    assert calendar.resume_due_date(date(2026, 3, 13), date(2026, 3, 9),
                                    date(2026, 3, 11)) == date(2026, 3, 17)


def test_a_clock_stopped_and_restarted_the_same_day_loses_nothing(
        calendar: WorkingCalendar) -> None:
    assert calendar.resume_due_date(date(2026, 3, 13), date(2026, 3, 9),
                                    date(2026, 3, 9)) == date(2026, 3, 13)


def test_a_pause_over_tet_skips_the_holidays(calendar: WorkingCalendar) -> None:
    # Stopped Thu 12 Feb with Fri 13 and Mon 23 left (due Mon 23); resumed Mon 23:
    # the two days left run Tue 24, Wed 25.
    assert calendar.resume_due_date(date(2026, 2, 23), date(2026, 2, 12),
                                    date(2026, 2, 23)) == date(2026, 2, 25)


def test_stopping_an_overdue_clock_does_not_make_it_timely(calendar: WorkingCalendar) -> None:
    assert calendar.resume_due_date(date(2026, 3, 9), date(2026, 3, 11),
                                    date(2026, 3, 20)) == date(2026, 3, 9)


@pytest.mark.parametrize(("resolved", "expected"), [
    (date(2026, 3, 12), "early"),
    (date(2026, 3, 13), "on_time"),
    (date(2026, 3, 14), "overdue"),
])
def test_timeliness_at_the_boundaries(resolved: date, expected: str) -> None:
    assert timeliness(resolved, due=date(2026, 3, 13)) == expected
