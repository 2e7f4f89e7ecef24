"""`clock.LocalDate`: the local day of a moment in SQL, as Django's `TruncDate` gives it,
by the zone's fixed offset where the zone keeps one (PostgreSQL) and by its name before
that (Asia/Shanghai kept summer time until September 1991)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import DateTimeField, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from duban.clock import LocalDate, fixed_offset

UTC = dt.UTC

MOMENTS = [
    # Local midnight, Asia/Shanghai (UTC+8): 16:00 UTC is the next local day.
    dt.datetime(2026, 3, 1, 15, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2026, 3, 1, 16, 0, tzinfo=UTC),
    dt.datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    dt.datetime(2040, 6, 30, 23, 30, tzinfo=UTC),
    # Summer time (UTC+9) in 1988: 15:30 UTC is already the next day there, not at +8.
    dt.datetime(1988, 7, 1, 15, 30, tzinfo=UTC),
    # Around the end of the last summer time, 1991-09-15 02:00 local (+9) = 17:00 UTC.
    dt.datetime(1991, 9, 14, 15, 30, tzinfo=UTC),
    dt.datetime(1991, 9, 14, 16, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(1991, 9, 14, 17, 0, tzinfo=UTC),
    dt.datetime(1991, 9, 14, 16, 30, tzinfo=UTC),
    dt.datetime(1970, 1, 1, 0, 0, tzinfo=UTC),
]


def test_asia_shanghai_keeps_plus_eight_since_its_last_summer_time():
    assert fixed_offset("Asia/Shanghai") == (
        dt.datetime(1991, 9, 14, 17, 0, tzinfo=UTC),
        dt.timedelta(hours=8),
    )


def test_a_zone_with_summer_time_has_no_fixed_offset():
    assert fixed_offset("Europe/Berlin") is None
    assert fixed_offset("America/New_York") is None


def test_utc_and_unknown_zones():
    since, offset = fixed_offset("UTC")
    assert offset == dt.timedelta(0) and since.year == 1900
    assert fixed_offset("No/Such_Zone") is None


@pytest.mark.django_db
@pytest.mark.parametrize("moment", MOMENTS, ids=lambda moment: moment.isoformat())
def test_the_same_day_as_django_truncdate(moment: dt.datetime):
    value = Value(moment, output_field=DateTimeField())
    row = (
        ContentType.objects.annotate(
            ours=LocalDate(value),
            django=TruncDate(value, tzinfo=timezone.get_current_timezone()),
        )
        .values("ours", "django")
        .first()
    )
    assert row is not None
    expected = timezone.localtime(moment).date()
    assert row == {"ours": expected, "django": expected}


@pytest.mark.django_db
def test_a_null_moment_has_no_day():
    value = Value(None, output_field=DateTimeField())
    assert ContentType.objects.annotate(day=LocalDate(value)).values("day").first() == {"day": None}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's SQL")
def test_postgresql_shifts_by_the_offset_and_names_the_zone_only_before_it():
    value = Value(dt.datetime(2026, 3, 1, tzinfo=UTC), output_field=DateTimeField())
    query = ContentType.objects.annotate(day=LocalDate(value)).values("day").query
    sql, params = query.sql_with_params()
    assert "AT TIME ZONE CAST(%s AS interval)" in sql
    assert dt.timedelta(hours=8) in params
    assert dt.datetime(1991, 9, 14, 17, 0, tzinfo=UTC) in params
    assert "Asia/Shanghai" in params  # the moments before 1991-09-14 17:00 UTC
