"""Working-day arithmetic for due dates: weekends, holidays and make-up working days.

The rule chosen (also in docs/DESIGN-NOTES.md): a dossier received on a working day before the
cut-off time (15:00 local by default) starts counting that day; one received at or after the
cut-off, or on a non-working day, starts counting on the next working day. The due date is the
N-th working day after that start day, so a 1-day procedure received on Monday morning is due
on Tuesday. Timeliness compares local calendar dates: resolved before the due date is early, on
it is on time, after it is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class WorkingCalendar:
    """Which local dates are working days, and the daily cut-off for receipts."""

    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)
    cutoff: time = time(15, 0)

    @classmethod
    def build(
        cls,
        weekend: Iterable[str],
        holidays: Iterable[date],
        working_days: Iterable[date],
        cutoff: time,
    ) -> WorkingCalendar:
        return cls(
            weekend=frozenset(WEEKDAYS.index(day) for day in weekend),
            holidays=frozenset(holidays),
            working_days=frozenset(working_days),
            cutoff=cutoff,
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself for zero)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def working_days_after(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; zero when end is not after start."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def start_day(self, received_at: datetime) -> date:
        """The day counting starts from for a receipt at ``received_at`` (timezone-aware)."""
        local = received_at.astimezone(LOCAL_TZ)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.cutoff:
            return day
        return self.next_working_day(day)

    def due_date(self, received_at: datetime, working_days: int) -> date:
        return self.add_working_days(self.start_day(received_at), working_days)

    def resume_due_date(self, due: date, stopped_on: date, resumed_on: date) -> date:
        """Move ``due`` so the working days left when the clock stopped are left on resume.

        Days left are the working days in (stopped_on, due]. A dossier already overdue when its
        clock stopped keeps its due date: stopping the clock cannot make it timely again.
        """
        if stopped_on >= due:
            return due
        remaining = self.working_days_after(stopped_on, due)
        return self.add_working_days(max(resumed_on, stopped_on), remaining)


def local_date(moment: datetime) -> date:
    """The calendar date in Vietnam at ``moment`` (timezone-aware)."""
    return moment.astimezone(LOCAL_TZ).date()


def timeliness(resolved_on: date, due: date) -> str:
    """``early``, ``on_time`` or ``overdue`` as the provincial reports count them."""
    if resolved_on < due:
        return "early"
    if resolved_on == due:
        return "on_time"
    return "overdue"
