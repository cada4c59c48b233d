"""Stockholm wall-clock times entered by organisers across the changes to and from summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from webapp.events.forms import exists, to_utc


def test_the_march_gap_does_not_exist_and_october_means_summer_time_first():
    assert not exists(date(2027, 3, 28), time(2, 30))
    assert exists(date(2027, 3, 28), time(3, 0))
    assert exists(date(2027, 10, 31), time(2, 30))
    assert to_utc(date(2027, 10, 31), time(2, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert to_utc(date(2027, 7, 1), time(9, 0)) == datetime(2027, 7, 1, 7, 0, tzinfo=UTC)
