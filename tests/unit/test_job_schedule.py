"""The schedule's rules (portal/jobs/schedule.py): wall-clock times in the utility's zone across DST, business days,
and catch-up after an outage (each missed date once, or only the latest with the rest recorded as covered)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.jobs import schedule
from portal.jobs.schedule import BY_NAME, Due, due, latest_date, next_run, runs_on, scheduled_at

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
THANKSGIVING = dt.date(2026, 11, 26)
HOLIDAYS = (THANKSGIVING,)
LATE_FEES = BY_NAME["late-fees"]  # business days, 05:15, latest
RECONCILE = BY_NAME["reconcile"]  # every day, 23:30, each
CYCLE_1 = BY_NAME["bill-run-cycle-1"]  # the 3rd at 02:00, each


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


def test_a_job_runs_at_its_local_time_in_winter_and_in_summer() -> None:
    winter = next_run(LATE_FEES, local(2026, 1, 5, 4, 0), CHICAGO, ())
    summer = next_run(LATE_FEES, local(2026, 7, 6, 4, 0), CHICAGO, ())
    assert winter.astimezone(CHICAGO).time() == summer.astimezone(CHICAGO).time() == dt.time(5, 15)
    assert (winter.hour, summer.hour) == (11, 10)  # UTC-6 in winter, UTC-5 in summer


def test_next_run_across_the_spring_forward_and_fall_back_nights() -> None:
    # 2026-03-08: 02:00 CST jumps to 03:00 CDT. Late fees on Monday the 9th are still at 05:15 local.
    saturday_night = local(2026, 3, 7, 23, 0)
    assert next_run(LATE_FEES, saturday_night, CHICAGO, ()) == local(2026, 3, 9, 5, 15).astimezone(UTC)
    assert next_run(LATE_FEES, saturday_night, CHICAGO, ()) - saturday_night.astimezone(UTC) == dt.timedelta(
        hours=29, minutes=15
    )  # 30 h 15 min by the wall clock, one hour of which never happened
    # 2026-11-01: 02:00 CDT falls back to 01:00 CST; reconcile at 23:30 that day is 25 h after the day before's.
    before = scheduled_at(RECONCILE, dt.date(2026, 10, 31), CHICAGO)
    after = scheduled_at(RECONCILE, dt.date(2026, 11, 1), CHICAGO)
    assert after - before == dt.timedelta(hours=25)
    assert next_run(RECONCILE, before, CHICAGO, ()) == after


def test_a_time_inside_the_missing_hour_runs_once_an_hour_later() -> None:
    job = schedule.Job("night", "night", dt.time(2, 30), "daily", "each")
    moment = scheduled_at(job, dt.date(2026, 3, 8), CHICAGO)
    assert moment.astimezone(CHICAGO).time() == dt.time(3, 30)
    assert next_run(job, local(2026, 3, 8, 1, 0), CHICAGO, ()) == moment


def test_business_days_skip_weekends_and_holidays() -> None:
    assert [runs_on(LATE_FEES, dt.date(2026, 11, d), HOLIDAYS) for d in (25, 26, 27, 28, 29, 30)] == [
        True,  # Wednesday
        False,  # Thanksgiving
        True,
        False,  # Saturday
        False,
        True,
    ]
    wednesday_noon = local(2026, 11, 25, 12, 0)
    assert next_run(LATE_FEES, wednesday_noon, CHICAGO, HOLIDAYS) == local(2026, 11, 27, 5, 15).astimezone(UTC)
    assert runs_on(RECONCILE, THANKSGIVING, HOLIDAYS)  # payments come in on holidays too
    assert [d for d in range(1, 31) if runs_on(CYCLE_1, dt.date(2026, 11, d), ())] == [3]


def test_a_first_start_runs_no_past_and_records_a_baseline() -> None:
    found = due(LATE_FEES, local(2026, 11, 25, 9, 0), CHICAGO, HOLIDAYS, last=None)
    assert found == Due((), (dt.date(2026, 11, 25),))
    before_its_time = due(LATE_FEES, local(2026, 11, 25, 5, 0), CHICAGO, HOLIDAYS, last=None)
    assert before_its_time == Due((), (dt.date(2026, 11, 24),))


def test_after_an_outage_a_latest_job_runs_once_and_covers_the_missed_days() -> None:
    # Down from Tuesday night to Monday 09:00: Wed, Fri (Thanksgiving and the weekend are no business days), Mon.
    found = due(LATE_FEES, local(2026, 11, 30, 9, 0), CHICAGO, HOLIDAYS, last=dt.date(2026, 11, 24))
    assert found == Due((dt.date(2026, 11, 30),), (dt.date(2026, 11, 25), dt.date(2026, 11, 27)))


def test_after_an_outage_an_each_job_runs_every_missed_date_in_order() -> None:
    found = due(RECONCILE, local(2026, 11, 30, 9, 0), CHICAGO, HOLIDAYS, last=dt.date(2026, 11, 26))
    assert found == Due((dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 29)), ())
    # a missed cycle day bills that period, with its own date
    bills = due(CYCLE_1, local(2026, 12, 4, 9, 0), CHICAGO, (), last=dt.date(2026, 11, 3))
    assert bills == Due((dt.date(2026, 12, 3),), ())


def test_catch_up_happens_once_the_ledger_has_the_dates() -> None:
    now = local(2026, 11, 30, 9, 0)
    first = due(RECONCILE, now, CHICAGO, HOLIDAYS, last=dt.date(2026, 11, 26))
    again = due(RECONCILE, now, CHICAGO, HOLIDAYS, last=first.run[-1])
    assert again == Due((), ())
    later_that_night = due(RECONCILE, local(2026, 11, 30, 23, 45), CHICAGO, HOLIDAYS, last=first.run[-1])
    assert later_that_night == Due((dt.date(2026, 11, 30),), ())


def test_catch_up_reaches_back_a_month_at_most() -> None:
    found = due(RECONCILE, local(2026, 11, 30, 9, 0), CHICAGO, (), last=dt.date(2026, 1, 1))
    assert len(found.run) == schedule.CATCH_UP_DAYS
    assert found.run[0] == dt.date(2026, 11, 30) - dt.timedelta(days=schedule.CATCH_UP_DAYS)


def test_run_now_runs_the_latest_date_whose_time_has_come() -> None:
    assert latest_date(LATE_FEES, local(2026, 11, 28, 12, 0), CHICAGO, HOLIDAYS) == dt.date(2026, 11, 27)
    assert latest_date(CYCLE_1, local(2026, 12, 2, 12, 0), CHICAGO, ()) == dt.date(2026, 11, 3)


def test_every_job_has_a_command_and_a_unique_name() -> None:
    assert len(BY_NAME) == len(schedule.SCHEDULE)
    assert schedule.command(CYCLE_1, dt.date(2026, 12, 3)) == "portal bill-run --cycle 1 --date 2026-12-03"
    assert all(job.why for job in schedule.SCHEDULE)


def test_a_waiting_run_waits_to_the_end_of_its_business_day_and_at_least_two_hours() -> None:
    # The print batch at 03:00 (Chicago) on the 3rd waits until midnight at the end of the 3rd, not 80 minutes.
    at_three = dt.datetime(2026, 12, 3, 3, 0, tzinfo=CHICAGO)
    assert schedule.wait_deadline(at_three, CHICAGO) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=CHICAGO)
    # A catch-up that starts late in the evening still waits two hours.
    late = dt.datetime(2026, 12, 3, 23, 30, tzinfo=CHICAGO)
    assert schedule.wait_deadline(late, CHICAGO) == late + dt.timedelta(hours=2)
    # The local day, not UTC's: 20:00 in Chicago is 02:00 UTC the next day.
    evening = dt.datetime(2026, 12, 3, 20, 0, tzinfo=CHICAGO).astimezone(dt.UTC)
    assert schedule.wait_deadline(evening, CHICAGO) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=CHICAGO)
