"""Business-hours arithmetic: hand-worked SLA examples, DST nights, and properties."""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.lib.businesstime import Calendar, add_business_time, business_time_between

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
WEEKDAYS_9_TO_6 = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
ZONES = ["Asia/Shanghai", "Asia/Singapore", "Europe/London", "America/New_York"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz))


# --- worked examples -----------------------------------------------------------------------


def test_it_carries_a_friday_afternoon_ticket_over_the_weekend_in_shanghai() -> None:
    cal = Calendar.from_spec("Asia/Shanghai", WEEKDAYS_9_TO_6, [])
    # Fri 2026-06-05 17:00 CST (UTC+8): 1h left until 18:00, then Mon 09:00 + 1h = Mon 10:00 CST
    # = Mon 02:00 UTC.
    due = add_business_time(cal, local("Asia/Shanghai", 2026, 6, 5, 17), 2 * H)
    assert due == utc(2026, 6, 8, 2)
    assert due.tzinfo is UTC
    assert due.astimezone(ZoneInfo("Asia/Shanghai")) == local("Asia/Shanghai", 2026, 6, 8, 10)
    assert business_time_between(cal, local("Asia/Shanghai", 2026, 6, 5, 17), due) == 2 * H


def test_it_starts_counting_a_saturday_ticket_at_monday_opening() -> None:
    cal = Calendar.from_spec("Asia/Shanghai", WEEKDAYS_9_TO_6, [])
    saturday = local("Asia/Shanghai", 2026, 6, 6, 11, 30)
    # Counting starts Mon 2026-06-08 09:00 CST = 01:00 UTC.
    assert add_business_time(cal, saturday, timedelta(0)) == utc(2026, 6, 8, 1)
    assert add_business_time(cal, saturday, 2 * H) == utc(2026, 6, 8, 3)  # Mon 11:00 CST
    assert business_time_between(cal, saturday, local("Asia/Shanghai", 2026, 6, 8, 9)) == timedelta(0)


def test_it_returns_the_start_itself_for_zero_duration_inside_hours() -> None:
    cal = Calendar.from_spec("Asia/Shanghai", WEEKDAYS_9_TO_6, [])
    inside = local("Asia/Shanghai", 2026, 6, 3, 12, 15, 7)
    assert add_business_time(cal, inside, timedelta(0)) == inside
    # Running out exactly at closing time gives the closing time, not the next opening.
    at_quarter_past = local("Asia/Shanghai", 2026, 6, 3, 12, 15)
    assert add_business_time(cal, at_quarter_past, timedelta(hours=5, minutes=45)) == utc(2026, 6, 3, 10)


def test_it_skips_the_national_day_golden_week() -> None:
    holidays = [f"2026-10-0{day}" for day in range(1, 8)]
    cal = Calendar.from_spec("Asia/Shanghai", WEEKDAYS_9_TO_6, holidays)
    # Wed 2026-09-30 17:00 CST: 1h on Wednesday; Thu 1st .. Wed 7th closed (holidays and the
    # weekend); Thu 2026-10-08 09:00 + 1h = 10:00 CST = 02:00 UTC.
    assert add_business_time(cal, local("Asia/Shanghai", 2026, 9, 30, 17), 2 * H) == utc(2026, 10, 8, 2)
    # Without the holidays it would be Thu 2026-10-01 10:00 CST.
    plain = Calendar.from_spec("Asia/Shanghai", WEEKDAYS_9_TO_6, [])
    assert add_business_time(plain, local("Asia/Shanghai", 2026, 9, 30, 17), 2 * H) == utc(2026, 10, 1, 2)
    # Only 1h of business time in the whole of 30 Sep 17:00 .. 8 Oct 09:00.
    assert business_time_between(
        cal, local("Asia/Shanghai", 2026, 9, 30, 17), local("Asia/Shanghai", 2026, 10, 8, 9)
    ) == timedelta(hours=1)


def test_it_handles_singapore_with_split_saturday_hours_and_a_holiday() -> None:
    weekly = dict(WEEKDAYS_9_TO_6, sat=["10:00-12:00", "13:00-17:00"])
    cal = Calendar.from_spec("Asia/Singapore", weekly, ["2026-08-10"])  # National Day, observed Monday
    # Fri 2026-08-07 16:00 SGT (UTC+8) + 10h: Fri 16-18 (2h), Sat 10-12 (2h) and 13-17 (4h) = 8h,
    # Sun closed, Mon 10th holiday, Tue 11th 09:00 + 2h = 11:00 SGT = 03:00 UTC.
    assert add_business_time(cal, local("Asia/Singapore", 2026, 8, 7, 16), 10 * H) == utc(2026, 8, 11, 3)
    # Saturday lunch hour is closed: from Sat 11:00 + 1h30 -> 12:00, then 13:00 + 30m = 13:30 SGT.
    assert add_business_time(cal, local("Asia/Singapore", 2026, 8, 8, 11), timedelta(minutes=90)) == utc(
        2026, 8, 8, 5, 30
    )


SUNDAY_NIGHT = {"sun": ["00:00-06:00"]}


def test_it_shortens_the_london_spring_forward_night() -> None:
    cal = Calendar.from_spec("Europe/London", SUNDAY_NIGHT, [])
    # 2026-03-29: clocks go 01:00 GMT -> 02:00 BST at 01:00 UTC. 00:00 GMT = 00:00 UTC, 06:00 BST =
    # 05:00 UTC, so the six wall-clock hours last 5 real hours.
    assert business_time_between(cal, utc(2026, 3, 28), utc(2026, 3, 30)) == 5 * H
    # A ticket on Saturday 23:00 GMT waits for Sunday 00:00 GMT; +2h = 02:00 UTC (03:00 BST).
    assert add_business_time(cal, utc(2026, 3, 28, 23), 2 * H) == utc(2026, 3, 29, 2)
    # +6h: 5h that night, then Sun 2026-04-05 00:00 BST (= Sat 23:00 UTC) + 1h = 00:00 UTC.
    assert add_business_time(cal, utc(2026, 3, 28, 23), 6 * H) == utc(2026, 4, 5)
    # A week earlier (no switch) the same night lasts 6 hours.
    assert business_time_between(cal, utc(2026, 3, 21), utc(2026, 3, 23)) == 6 * H


def test_it_moves_nonexistent_london_times_to_the_end_of_the_gap() -> None:
    # 01:30 does not exist on 2026-03-29; it becomes the first real instant after the gap, 01:00
    # UTC (02:00 BST). 03:00 BST = 02:00 UTC, so 01:30-03:00 lasts 1h that night.
    cal = Calendar.from_spec("Europe/London", {"sun": ["01:30-03:00"]}, [])
    assert add_business_time(cal, utc(2026, 3, 28, 12), timedelta(0)) == utc(2026, 3, 29, 1)
    assert business_time_between(cal, utc(2026, 3, 29), utc(2026, 3, 30)) == H
    # An interval wholly inside the gap has no length: the next opening is a week later,
    # 2026-04-05 01:15 BST = 00:15 UTC.
    gap_only = Calendar.from_spec("Europe/London", {"sun": ["01:15-01:45"]}, [])
    assert business_time_between(gap_only, utc(2026, 3, 29), utc(2026, 3, 30)) == timedelta(0)
    assert add_business_time(gap_only, utc(2026, 3, 28, 12), timedelta(0)) == utc(2026, 4, 5, 0, 15)


def test_it_lengthens_the_new_york_fall_back_night() -> None:
    cal = Calendar.from_spec("America/New_York", SUNDAY_NIGHT, [])
    # 2026-11-01: clocks go 02:00 EDT -> 01:00 EST at 06:00 UTC. 00:00 EDT = 04:00 UTC, 06:00 EST =
    # 11:00 UTC: the six wall-clock hours last 7 real hours (01:00-02:00 happens twice).
    assert business_time_between(cal, utc(2026, 10, 31), utc(2026, 11, 2)) == 7 * H
    # Sat 20:00 EDT (Sun 00:00 UTC) + 6h30 -> 04:00 UTC + 6h30 = 10:30 UTC (05:30 EST).
    assert add_business_time(cal, local("America/New_York", 2026, 10, 31, 20), timedelta(hours=6, minutes=30)) == (
        utc(2026, 11, 1, 10, 30)
    )
    # The repeated hour counts: after 1h30 (05:30 UTC = 01:30 EDT) and after 2h30 (06:30 UTC =
    # 01:30 EST) the local wall clock reads the same, but they are different deadlines.
    first = add_business_time(cal, utc(2026, 11, 1), timedelta(hours=1, minutes=30))
    second = add_business_time(cal, utc(2026, 11, 1), timedelta(hours=2, minutes=30))
    assert (first, second) == (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))
    ny = ZoneInfo("America/New_York")
    assert first.astimezone(ny).time() == second.astimezone(ny).time() == time(1, 30)
    # Ambiguous ends take the first occurrence: 00:00-01:30 ends at 01:30 EDT = 05:30 UTC.
    short = Calendar.from_spec("America/New_York", {"sun": ["00:00-01:30"]}, [])
    assert business_time_between(short, utc(2026, 11, 1), utc(2026, 11, 2)) == timedelta(minutes=90)


def test_it_shortens_the_new_york_spring_forward_night() -> None:
    cal = Calendar.from_spec("America/New_York", SUNDAY_NIGHT, [])
    # 2026-03-08: 02:00 EST -> 03:00 EDT. 00:00 EST = 05:00 UTC, 06:00 EDT = 10:00 UTC: 5 hours.
    assert business_time_between(cal, utc(2026, 3, 7), utc(2026, 3, 9)) == 5 * H
    assert add_business_time(cal, utc(2026, 3, 8), 5 * H) == utc(2026, 3, 8, 10)


def test_it_counts_round_the_clock_calendars_in_real_time() -> None:
    for tz in ["UTC", *ZONES]:
        cal = Calendar.always(tz)
        start = utc(2026, 3, 1, 7, 13)
        # 24x7 means business time is real time, DST or not.
        assert add_business_time(cal, start, timedelta(days=300, minutes=7)) == start + timedelta(days=300, minutes=7)
        assert business_time_between(cal, start, utc(2026, 12, 1)) == utc(2026, 12, 1) - start


def test_it_adds_long_durations_quickly() -> None:
    cal = Calendar.from_spec("Europe/London", dict(WEEKDAYS_9_TO_6, sat=["10:00-14:00"]), ["2026-12-25"])
    start = utc(2026, 1, 2, 15)
    year = timedelta(hours=9 * 5 * 52 + 4 * 52)  # roughly a year of this calendar's hours
    best = min(_timed(lambda: add_business_time(cal, start, year)) for _ in range(3))
    assert best < 0.05
    ten_years = add_business_time(cal, start, 10 * year)
    assert business_time_between(cal, start, ten_years) == 10 * year


def _timed(work: Callable[[], object]) -> float:
    began = clock.perf_counter()
    work()
    return clock.perf_counter() - began


# --- bad input -----------------------------------------------------------------------------


def test_it_refuses_naive_datetimes() -> None:
    cal = Calendar.always()
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(cal, datetime(2026, 1, 1, 9), H)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(cal, utc(2026, 1, 1), datetime(2026, 1, 2))


def test_it_refuses_negative_durations() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(Calendar.always(), utc(2026, 1, 1), -MIN)


def test_it_refuses_a_calendar_without_hours_instead_of_looping() -> None:
    closed = Calendar.from_spec("Asia/Shanghai", {}, [])
    with pytest.raises(ValueError, match="calendar has no business hours"):
        add_business_time(closed, utc(2026, 1, 1), timedelta(0))
    with pytest.raises(ValueError, match="calendar has no business hours"):
        add_business_time(Calendar("UTC", ((),) * 7), utc(2026, 1, 1), H)
    assert business_time_between(closed, utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(0)


@pytest.mark.parametrize(
    ("tz", "weekly", "holidays", "message"),
    [
        ("Mars/Olympus_Mons", {}, [], "unknown time zone 'Mars/Olympus_Mons'"),
        ("", {}, [], "unknown time zone ''"),
        ("../etc/passwd", {}, [], "unknown time zone"),
        ("UTC", {"funday": ["09:00-10:00"]}, [], "unknown day 'funday'"),
        ("UTC", {"mon": ["9-18"]}, [], "bad time range '9-18' for mon"),
        ("UTC", {"mon": ["09:00-10:00"], "Mon": ["11:00-12:00"]}, [], "day mon is given more than once"),
        ("UTC", {"mon": ["09:00"]}, [], "bad time range '09:00' for mon"),
        ("UTC", {"mon": "09:00-18:00"}, [], "must be a list"),
        ("UTC", {"mon": ["25:00-26:00"]}, [], "bad start time"),
        ("UTC", {"mon": ["09:61-10:00"]}, [], "bad start time"),
        ("UTC", {"mon": ["09:00-24:30"]}, [], "bad end time"),
        ("UTC", {"mon": ["18:00-09:00"]}, [], "ends before it starts"),
        ("UTC", {"mon": ["09:00-09:00"]}, [], "ends before it starts"),
        ("UTC", {"tue": ["09:00-12:00", "11:00-13:00"]}, [], "09:00-12:00 and 11:00-13:00 on tue overlap"),
        ("UTC", {}, ["2026-02-30"], "bad holiday date '2026-02-30'"),
        ("UTC", {}, ["1 Oct 2026"], "bad holiday date '1 Oct 2026'"),
        ("UTC", {}, ["20261001"], "bad holiday date"),
        ("UTC", {}, "2026-10-01", "not a single string"),
    ],
)
def test_it_explains_bad_specs(tz: str, weekly: dict[str, list[str]], holidays: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        Calendar.from_spec(tz, weekly, holidays)


def test_it_accepts_midnight_ends_touching_intervals_and_any_case_days() -> None:
    cal = Calendar.from_spec("UTC", {"MON": ["12:00-14:00", "08:00-12:00"], "Fri": ["20:00-24:00"]}, [])
    assert cal.weekly[0] == ((time(8), time(12)), (time(12), time(14)))
    assert cal.weekly[4] == ((time(20), time(0)),)
    assert Calendar.from_spec("UTC", {"fri": ["20:00-00:00"]}, []).weekly[4] == cal.weekly[4]


def test_it_validates_directly_built_calendars() -> None:
    with pytest.raises(ValueError, match="7 days"):
        Calendar("UTC", ((),) * 6)
    with pytest.raises(ValueError, match="ends before it starts"):
        Calendar("UTC", (((time(10), time(9)),),) + ((),) * 6)
    with pytest.raises(ValueError, match="overlap"):
        Calendar("UTC", (((time(10), time(12)), (time(9), time(11))),) + ((),) * 6)
    with pytest.raises(ValueError, match="is not a date"):
        Calendar("UTC", ((),) * 7, frozenset({datetime(2026, 1, 1)}))
    with pytest.raises(ValueError, match="unknown time zone"):
        Calendar.always("Nowhere/Special")


# --- properties ----------------------------------------------------------------------------

# Instants around this year's DST switches in London and New York, so that the properties meet
# spring-forward gaps and fall-back folds far more often than uniform sampling would.
SWITCHES = [
    utc(2025, 3, 9, 7),
    utc(2025, 3, 30, 1),
    utc(2025, 10, 26, 1),
    utc(2025, 11, 2, 6),
    utc(2026, 3, 8, 7),
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 11, 1, 6),
]
SLOT = 30  # minutes per slot of generated opening hours, so boundaries fall on switch hours
SLOTS = 24 * 60 // SLOT


def _day_hours(mask: int) -> tuple[tuple[time, time], ...]:
    """Opening hours from a bit mask of half-hour slots: each run of set bits is one interval."""

    def at(slot: int) -> time:
        minutes = (slot * SLOT) % (24 * 60)  # slot 48 is the closing midnight, stored as time(0, 0)
        return time(minutes // 60, minutes % 60)

    hours = []
    slot = 0
    while slot < SLOTS:
        if mask >> slot & 1:
            run_end = slot
            while run_end < SLOTS and mask >> run_end & 1:
                run_end += 1
            hours.append((at(slot), at(run_end)))
            slot = run_end
        else:
            slot += 1
    return tuple(hours)


def _week(masks: bytes, forced_day: int, forced_slot: int) -> tuple[tuple[tuple[time, time], ...], ...]:
    # 6 bytes = 48 half-hour slots per day; one slot is forced open so every calendar has hours.
    days = [int.from_bytes(masks[day * 6 : day * 6 + 6], "little") for day in range(7)]
    days[forced_day] |= 1 << forced_slot
    return tuple(_day_hours(mask) for mask in days)


# Draws are kept to a few cheap primitives (bytes, integers): Hypothesis's own cost dominates
# these tests otherwise, and 4 zones x 5 properties x 200 examples adds up.
OFFICE = (((time(9), time(18)),),) * 5 + ((), ())
weeks = st.one_of(
    st.just(OFFICE),
    st.builds(_week, st.binary(min_size=42, max_size=42), st.integers(0, 6), st.integers(0, SLOTS - 1)),
)
EPOCH = utc(2025, 1, 1)
starts = st.one_of(
    st.integers(0, 900 * 24 * 3600 * 10**6).map(lambda micros: EPOCH + timedelta(microseconds=micros)),
    st.builds(lambda at, shift: at + shift * MIN, st.sampled_from(SWITCHES), st.integers(-4 * 24 * 60, 24 * 60)),
)
minutes = st.one_of(st.integers(0, 12 * 60), st.integers(0, 60 * 24 * 60)).map(lambda n: n * MIN)
HOLIDAY_DAYS = 78  # holidays fall on the days from 2 before the start to 75 after it


def _case(
    tz: str, week: tuple[tuple[tuple[time, time], ...], ...], start: datetime, holiday_mask: int, as_local: bool
) -> tuple[Calendar, datetime]:
    first = start.date() - timedelta(days=2)
    holidays = frozenset(first + timedelta(days=n) for n in range(HOLIDAY_DAYS) if holiday_mask >> n & 1)
    # Any aware datetime is accepted, not only UTC.
    return Calendar(tz, week, holidays), start.astimezone(ZoneInfo(tz)) if as_local else start


CASES = {
    tz: st.builds(_case, st.just(tz), weeks, starts, st.integers(0, 2**HOLIDAY_DAYS - 1), st.booleans()) for tz in ZONES
}


def _minutes_of_day(moment: time, *, end: bool) -> int:
    value = moment.hour * 60 + moment.minute
    return 24 * 60 if end and value == 0 else value


def _is_open_just_before(calendar: Calendar, moment: datetime) -> bool:
    """Independent oracle for property 4, reasoning in local wall-clock time.

    Looks at the instant a microsecond before `moment` (so "at the end of an open interval"
    counts). Outside a fall-back fold, that instant is open iff its local wall time lies in an
    interval of a non-holiday day. Inside the repeated hour (fold=1) the module's rule counts it
    iff an interval runs across the wall time where the fold ends (e.g. 02:00 in New York).
    """
    zone = ZoneInfo(calendar.tz)
    seen = (moment - timedelta(microseconds=1)).astimezone(zone)
    if seen.date() in calendar.holidays:
        return False
    hours = calendar.weekly[seen.weekday()]
    if seen.fold == 0:
        wall = seen.hour * 60 + seen.minute + (seen.second + seen.microsecond / 1e6) / 60
        return any(_minutes_of_day(a, end=False) <= wall < _minutes_of_day(b, end=True) for a, b in hours)
    probe = seen.replace(second=0, microsecond=0).astimezone(UTC)
    while probe.astimezone(zone).fold == 1:
        probe += MIN
    fold_end = probe.astimezone(zone)
    wall_end = fold_end.hour * 60 + fold_end.minute
    return any(_minutes_of_day(a, end=False) < wall_end <= _minutes_of_day(b, end=True) for a, b in hours)


@pytest.mark.parametrize("tz", ZONES)
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_it_measures_back_exactly_what_it_added(tz: str, data: st.DataObject) -> None:
    calendar, start = data.draw(CASES[tz])
    duration = data.draw(minutes)
    due = add_business_time(calendar, start, duration)
    assert due.tzinfo is UTC
    assert due >= start
    assert business_time_between(calendar, start, due) == duration


@pytest.mark.parametrize("tz", ZONES)
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_it_never_moves_a_deadline_earlier_for_a_longer_target(tz: str, data: st.DataObject) -> None:
    calendar, start = data.draw(CASES[tz])
    shorter, longer = sorted([data.draw(minutes), data.draw(minutes)])
    assert add_business_time(calendar, start, shorter) <= add_business_time(calendar, start, longer)


@pytest.mark.parametrize("tz", ZONES)
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_it_adds_in_steps_the_same_as_at_once(tz: str, data: st.DataObject) -> None:
    # d2 must be positive: a zero second step from a closing time would move on to the next
    # opening (by design: zero duration means "next business moment").
    calendar, start = data.draw(CASES[tz])
    first = data.draw(minutes)
    second = data.draw(minutes.filter(bool))
    stepped = add_business_time(calendar, add_business_time(calendar, start, first), second)
    assert stepped == add_business_time(calendar, start, first + second)


@pytest.mark.parametrize("tz", ZONES)
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_it_lands_only_in_open_local_hours(tz: str, data: st.DataObject) -> None:
    calendar, start = data.draw(CASES[tz])
    duration = data.draw(minutes.filter(bool))
    due = add_business_time(calendar, start, duration)
    assert _is_open_just_before(calendar, due), due.astimezone(ZoneInfo(tz))
    # And the zero-duration "next business moment" is itself open (just after it).
    opening = add_business_time(calendar, start, timedelta(0))
    assert opening >= start
    assert _is_open_just_before(calendar, opening + timedelta(microseconds=1))


@pytest.mark.parametrize("tz", ZONES)
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_it_never_counts_more_than_wall_clock_time(tz: str, data: st.DataObject) -> None:
    calendar, start = data.draw(CASES[tz])
    span = data.draw(st.integers(-3 * 24 * 60, 90 * 24 * 60)) * MIN + data.draw(st.integers(0, 59)) * timedelta(
        seconds=1
    )
    # Arithmetic in UTC: `aware + timedelta` on a ZoneInfo datetime is wall-clock arithmetic and
    # drops `fold`, so inside a repeated hour it would land an hour away from the intended instant.
    begin = start.astimezone(UTC)
    end = begin + span
    counted = business_time_between(calendar, start, end)
    assert timedelta(0) <= counted <= max(end - begin, timedelta(0))
    # Splitting the window anywhere does not change the total.
    middle = begin + span / 3
    if span > timedelta(0):
        assert counted == business_time_between(calendar, start, middle) + business_time_between(calendar, middle, end)


def test_it_agrees_with_a_minute_by_minute_count_on_switch_weekends() -> None:
    # Brute force over real minutes in UTC, using the wall-clock oracle, as a cross-check of the
    # day-span construction on the four London and New York switch nights of 2026.
    weekly = ((), (), (), (), (), (), ((time(0, 30), time(1, 30)), (time(1, 30), time(3)), (time(5), time(0))))
    for tz in ["Europe/London", "America/New_York"]:
        cal = Calendar(tz, weekly)
        for switch in SWITCHES[4:]:
            begin = switch - timedelta(days=1)
            counted = sum(_is_open_just_before(cal, begin + (n + 1) * MIN) for n in range(2 * 24 * 60))
            assert business_time_between(cal, begin, begin + timedelta(days=2)) == counted * MIN, (tz, switch)
