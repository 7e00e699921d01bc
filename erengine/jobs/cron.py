"""Cron expressions: five fields (minute hour day-of-month month day-of-week) in a time zone.

Each field takes ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, and lists of
those separated by commas; day of week is 0-7 (0 and 7 are Sunday). As in classic cron, when
both day fields are restricted a day matches if either does. Times are wall-clock times in
the schedule's zone: at a DST change a time that does not exist fires at the shifted instant
and a time that exists twice fires at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_SEARCH_DAYS = 366 * 5  # 29 February on a Monday recurs within 28 years; no sane job waits 5


@dataclass(frozen=True, slots=True)
class CronSchedule:
    expression: str
    zone: ZoneInfo
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Monday, as datetime.weekday()
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str, zone: str) -> CronSchedule:
        """Raises ValueError with the field at fault."""
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise ValueError(
                f"a cron expression has 5 fields (minute hour day month weekday), "
                f"found {len(parts)} in {expression!r}"
            )
        values = [
            _field(text, name, low, high)
            for text, (name, low, high) in zip(parts, _FIELDS, strict=True)
        ]
        weekdays = frozenset((day - 1) % 7 for day in values[4])  # cron 0/7 = Sunday
        return cls(
            expression=expression,
            zone=ZoneInfo(zone),
            minutes=values[0],
            hours=values[1],
            days=values[2],
            months=values[3],
            weekdays=weekdays,
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first firing strictly after ``moment`` (aware), as an aware UTC datetime."""
        local = moment.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)
        candidate = local + dt.timedelta(minutes=1)
        day = candidate.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                start = candidate.time() if day == candidate.date() else dt.time(0, 0)
                for hour in sorted(h for h in self.hours if h >= start.hour):
                    first_minute = start.minute if hour == start.hour else 0
                    for minute in sorted(m for m in self.minutes if m >= first_minute):
                        wall = dt.datetime.combine(day, dt.time(hour, minute))
                        fired = wall.replace(tzinfo=self.zone).astimezone(dt.UTC)
                        if fired > moment:  # not so for the hour a DST change repeats
                            return fired
            day += dt.timedelta(days=1)
        raise ValueError(f"{self.expression!r} never fires")

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return in_days and in_weekdays
        return in_days or in_weekdays


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    chosen: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = _number(step_text, name, 1, high) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, name, low, high), _number(end, name, low, high)
            if first > last:
                raise ValueError(f"{name}: range {span} goes backwards")
        else:
            first = _number(span, name, low, high)
            last = high if step_text else first
        chosen.update(range(first, last + 1, step))
    return frozenset(chosen)


def _number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name}: {text!r} is not a number from {low} to {high}")
    return int(text)
