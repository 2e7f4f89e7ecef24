"""Seed the official calendars of 2004-2026 from the chinese_calendar package (R-D6).

This runs with `migrate`, so a fresh install has real working days without demo data.
"""

from datetime import date, timedelta

from django.db import migrations

FIRST_YEAR = 2004
LAST_YEAR = 2026
SOURCE_PREFIX = "chinese-calendar"
MAKE_UP_WORKDAY_NOTE = "调休上班"

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("workcalendar", "CalendarYear")
    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    source = f"{SOURCE_PREFIX} {chinese_calendar.__version__}"

    # Years already loaded by hand (e.g. a re-run after a partial reverse) are kept.
    existing_years = set(
        CalendarYear.objects.filter(year__range=(FIRST_YEAR, LAST_YEAR)).values_list(
            "year", flat=True
        )
    )
    years = [y for y in range(FIRST_YEAR, LAST_YEAR + 1) if y not in existing_years]

    days = []
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            if chinese_calendar.is_workday(day):
                kind = "workday"
                note = MAKE_UP_WORKDAY_NOTE if day in chinese_calendar.workdays else ""
            else:
                kind = "holiday"
                _, name = chinese_calendar.get_holiday_detail(day)
                note = HOLIDAY_NAMES.get(name, name) if name else ""
            days.append(CalendarDay(day=day, kind=kind, note=note))
            day += timedelta(days=1)

    CalendarDay.objects.bulk_create(days, batch_size=1000)
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, status="official", source=source) for year in years]
    )


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("workcalendar", "CalendarYear")
    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    seeded = CalendarYear.objects.filter(
        year__range=(FIRST_YEAR, LAST_YEAR), source__startswith=SOURCE_PREFIX
    )
    for year in seeded.values_list("year", flat=True):
        CalendarDay.objects.filter(day__year=year).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workcalendar", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
