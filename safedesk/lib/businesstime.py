"""Business-hours arithmetic for ticket SLAs.

Why this exists: a target such as "first reply within 2 business hours" must not count nights,
weekends or public holidays, and the teams answering tickets keep *local* wall-clock hours
(Shanghai, Singapore, London, New York...) that, in some places, move against UTC twice a
year. This module turns a weekly timetable of local hours plus a set of local holiday dates into
real UTC instants, so ticket code can ask "when is this due?" (`add_business_time`) and "how
much business time has passed?" (`business_time_between`) without thinking about zones.

It is deliberately pure: no Django, no database, no clock reads. Everything it needs comes in
as arguments, which keeps it cheap to property-test and safe to call from anywhere.

DST rule
--------
Every local wall-clock boundary (the start *and* the end of each open interval, midnight
included) goes through one mapping, `_wall_to_utc`:

* an ordinary local time has exactly one UTC instant, which is used;
* an ambiguous local time (inside the hour repeated when clocks fall back) takes its first
  occurrence (``fold=0``);
* a nonexistent local time (inside the hour skipped when clocks spring forward) moves to the
  first instant that exists after the gap, i.e. the transition instant itself.

That mapping never goes backwards, so intervals that touch in local time still touch in UTC and
one day's hours never overlap the next day's. Consequences, all intended: an interval covering
the skipped hour is shorter in real time (00:00-06:00 on a spring-forward night lasts 5 hours);
an interval covering the repeated hour is longer (it lasts 7 hours on a fall-back night, both
occurrences counted); an interval that ends inside the repeated hour ends at the first
occurrence; an interval lying wholly inside a gap has no real length and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Calendar", "add_business_time", "business_time_between"]

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MIDNIGHT = time(0, 0)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
_RANGE = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _zone(name: str) -> ZoneInfo:
    """Resolve an IANA name, turning zoneinfo's mix of KeyError/ValueError into one ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as 'Asia/Shanghai'")
    try:
        return ZoneInfo(name)  # zoneinfo caches instances, so repeated lookups are cheap
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as 'Asia/Shanghai'") from exc


def _offset(moment: time, *, is_end: bool) -> timedelta:
    """Time since local midnight; an *end* of 00:00 means the midnight that closes the day."""
    since_midnight = timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )
    if is_end and moment == _MIDNIGHT:
        return _ONE_DAY
    return since_midnight


def _fmt(interval: Interval) -> str:
    start, end = interval
    return f"{start.strftime('%H:%M')}-{'24:00' if end == _MIDNIGHT else end.strftime('%H:%M')}"


@dataclass(frozen=True)
class Calendar:
    """When a team is open, in its own local wall-clock time.

    `weekly` has 7 entries, Monday first; each is a sorted tuple of non-overlapping
    ``(start, end)`` local times (an end of ``time(0, 0)`` means the midnight closing that day;
    an empty tuple means closed all day). `holidays` are local dates that are closed all day.
    The constructor validates all of this, so a Calendar that exists is well formed; a calendar
    with no hours at all is allowed to exist but refused by the arithmetic functions.
    """

    tz: str
    weekly: tuple[DayHours, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.tz)
        if not isinstance(self.weekly, tuple) or len(self.weekly) != 7:
            raise ValueError("weekly must be a tuple of 7 days, Monday to Sunday")
        for name, day in zip(DAY_NAMES, self.weekly, strict=True):
            _check_day(name, day)
        if not isinstance(self.holidays, frozenset):
            raise ValueError("holidays must be a frozenset of dates")
        for holiday in self.holidays:
            # datetime is a subclass of date; a datetime here would silently never match.
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"holiday {holiday!r} is not a date")

    @classmethod
    def always(cls, tz: str = "UTC") -> Calendar:
        """Open 24x7 — for queues that promise round-the-clock cover."""
        return cls(tz=tz, weekly=(((_MIDNIGHT, _MIDNIGHT),),) * 7)

    @classmethod
    def from_spec(
        cls,
        tz: str,
        weekly: Mapping[str, Sequence[str]],
        holidays: Iterable[str] = (),
    ) -> Calendar:
        """Build a calendar from settings-style data, e.g.
        ``from_spec("Asia/Shanghai", {"mon": ["09:00-18:00"]}, ["2026-10-01"])``.

        Day keys are ``mon``..``sun`` (any case); a missing day is closed. Ranges are
        ``HH:MM-HH:MM`` with an end of ``24:00`` or ``00:00`` meaning midnight. Raises ValueError
        naming the offending value, because this is where operator typos in configuration land.
        """
        if not isinstance(weekly, Mapping):
            raise ValueError("weekly must map day names (mon..sun) to lists of 'HH:MM-HH:MM' ranges")
        days: list[list[Interval]] = [[] for _ in DAY_NAMES]
        seen: set[str] = set()
        for key, ranges in weekly.items():
            name = key.strip().lower() if isinstance(key, str) else key
            if name not in DAY_NAMES:
                raise ValueError(f"unknown day {key!r}: expected one of {', '.join(DAY_NAMES)}")
            if name in seen:  # e.g. "mon" and "Mon": one would silently replace the other
                raise ValueError(f"day {name} is given more than once")
            seen.add(name)
            if isinstance(ranges, str) or not isinstance(ranges, Sequence):
                raise ValueError(f"hours for {name} must be a list of 'HH:MM-HH:MM' strings, got {ranges!r}")
            days[DAY_NAMES.index(name)] = [_parse_range(name, text) for text in ranges]
        if isinstance(holidays, str):
            raise ValueError("holidays must be a list of 'YYYY-MM-DD' strings, not a single string")
        return cls(
            tz=tz,
            weekly=tuple(tuple(sorted(day, key=lambda iv: _offset(iv[0], is_end=False))) for day in days),
            holidays=frozenset(_parse_date(text) for text in holidays),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The ZoneInfo for `tz` (zoneinfo caches it; a property keeps the dataclass hashable)."""
        return _zone(self.tz)

    @property
    def has_hours(self) -> bool:
        """False when every weekday is closed: no deadline could ever be reached."""
        return any(self.weekly)


def _parse_range(day: str, text: object) -> Interval:
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad time range {text!r} for {day}: expected 'HH:MM-HH:MM', e.g. '09:00-18:00'")
    sh, sm, eh, em = (int(part) for part in match.groups())
    if not (0 <= sh <= 23 and 0 <= sm <= 59):
        raise ValueError(f"bad start time in {text!r} for {day}: hours 00-23, minutes 00-59")
    if eh == 24 and em == 0:
        eh = 0
    if not (0 <= eh <= 23 and 0 <= em <= 59):
        raise ValueError(f"bad end time in {text!r} for {day}: hours 00-24, minutes 00-59")
    return (time(sh, sm), time(eh, em))


def _parse_date(text: object) -> date:
    if not isinstance(text, str) or not _ISO_DATE.match(text.strip()):
        raise ValueError(f"bad holiday date {text!r}: expected 'YYYY-MM-DD'")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"bad holiday date {text!r}: {exc}") from exc


def _check_day(name: str, day: object) -> None:
    if not isinstance(day, tuple):
        raise ValueError(f"hours for {name} must be a tuple of (start, end) times")
    previous_end = _ZERO
    previous: Interval | None = None
    for interval in day:
        if (
            not isinstance(interval, tuple)
            or len(interval) != 2
            or not all(isinstance(t, time) and t.tzinfo is None for t in interval)
        ):
            raise ValueError(f"hours for {name} must be (start, end) pairs of naive times, got {interval!r}")
        start, end = _offset(interval[0], is_end=False), _offset(interval[1], is_end=True)
        if end <= start:
            raise ValueError(f"interval {_fmt(interval)} on {name} ends before it starts")
        if previous is not None and start < previous_end:
            raise ValueError(f"intervals {_fmt(previous)} and {_fmt(interval)} on {name} overlap (or are not sorted)")
        previous, previous_end = interval, end


def _wall_to_utc(zone: ZoneInfo, wall: datetime) -> datetime:
    """Map a naive local wall-clock time to UTC by the module's DST rule (see the docstring).

    fold=0 reads an ambiguous time as its first occurrence. For a nonexistent time, fold=0 uses
    the offset from before the gap and fold=1 the one after, so fold=1 has the *larger* offset —
    that is how a gap is recognised. The transition instant is then found by bisection on whole
    seconds (tz offsets and transitions are whole seconds); gaps are rare, so this stays cheap.
    Asking for the two offsets (not two conversions) keeps the common path to a few C calls.
    """
    first = _utcoffset(zone, wall, fold=0)
    if _utcoffset(zone, wall, fold=1) <= first:
        return (wall - first).replace(tzinfo=UTC)  # ordinary, or ambiguous (first occurrence)
    lo = (wall - _utcoffset(zone, wall, fold=1)).replace(tzinfo=UTC, microsecond=0)  # before the jump
    after = (wall - first).replace(tzinfo=UTC)  # on or after the jump
    hi = after.replace(microsecond=0) + (_ONE_SECOND if after.microsecond else _ZERO)
    while hi - lo > _ONE_SECOND:
        mid = (lo + (hi - lo) // 2).replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == first:  # for a gap, fold=0 gave the offset before it
            lo = mid
        else:
            hi = mid
    return hi


def _utcoffset(zone: ZoneInfo, wall: datetime, *, fold: int) -> timedelta:
    offset = zone.utcoffset(wall.replace(fold=fold))
    if offset is None:  # pragma: no cover - ZoneInfo always knows its offsets
        raise ValueError(f"time zone {zone.key!r} has no offset for {wall}")
    return offset


def _day_spans(calendar: Calendar, zone: ZoneInfo, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The open UTC spans of one local date, in order; nothing on a holiday."""
    if day in calendar.holidays:
        return
    for start, end in calendar.weekly[day.weekday()]:
        span_start = _wall_to_utc(zone, datetime.combine(day, start))
        end_day = day + _ONE_DAY if end == _MIDNIGHT else day
        span_end = _wall_to_utc(zone, datetime.combine(end_day, end))
        if span_start < span_end:  # an interval swallowed by a DST gap has no length
            yield span_start, span_end


def _as_utc(name: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; a naive datetime has no defined instant")
    return moment.astimezone(UTC)


def _require_hours(calendar: Calendar) -> None:
    if not calendar.has_hours:
        raise ValueError("calendar has no business hours")


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The aware UTC instant at which `duration` of business time has elapsed from `start`.

    Counting begins at `start` if it is inside business hours, otherwise at the next opening.
    A zero duration therefore returns the next business moment (or `start` itself, in UTC). A
    positive duration that runs out exactly at a closing time returns that closing time — the
    deadline is "by close of business", not "at the next opening".

    Walks day by day (never minute by minute): a year of business time is a few hundred steps.
    """
    moment = _as_utc("start", start)
    if not isinstance(duration, timedelta):
        raise ValueError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    _require_hours(calendar)
    zone = calendar.zone
    remaining = duration
    # Start one local day early: with the DST rule a previous day's span can reach past the
    # local midnight of `start` (e.g. a fall-back at midnight), and it costs only one step.
    day = moment.astimezone(zone).date() - _ONE_DAY
    # Defensive bound: with at least one weekly interval, an open span exists in every week
    # that holds no holiday, so more closed days in a row than this cannot happen.
    idle_limit = len(calendar.holidays) + 30
    idle = 0
    try:
        while True:
            found = False
            for span_start, span_end in _day_spans(calendar, zone, day):
                if span_end <= moment:
                    continue
                found = True
                begin = max(span_start, moment)
                available = span_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                moment = span_end
            idle = 0 if found else idle + 1
            if idle > idle_limit:
                raise ValueError("calendar has no business hours")
            day += _ONE_DAY
    except OverflowError as exc:
        raise ValueError("result is beyond the supported date range") from exc


def business_time_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    """Business time inside ``[a, b)``; zero when ``b <= a``.

    The inverse of `add_business_time`: ``business_time_between(c, s, add_business_time(c, s, d))
    == d``. Used to report how much of an SLA a ticket has consumed.
    """
    lo = _as_utc("a", a)
    hi = _as_utc("b", b)
    if hi <= lo:
        return _ZERO
    zone = calendar.zone
    day = lo.astimezone(zone).date() - _ONE_DAY
    # A local date's spans start no earlier than its own midnight, so nothing after the day
    # following b's local date can overlap [a, b).
    last_day = hi.astimezone(zone).date() + _ONE_DAY
    total = _ZERO
    try:
        while day <= last_day:
            for span_start, span_end in _day_spans(calendar, zone, day):
                if span_start >= hi:
                    return total
                overlap = min(span_end, hi) - max(span_start, lo)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
    except OverflowError as exc:
        raise ValueError("range reaches beyond the supported dates") from exc
    return total
