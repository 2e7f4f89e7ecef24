"""What a person could plausibly have meant to enter: the limits every action applies
to free text, dates, years and lists, whether the input came from a page, the API or
an imported ledger.

- Text: bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069,
  and the invisible direction marks) are removed, since they make a title read
  differently from what it says; what remains must hold at least one visible character
  (not only spaces, zero-width or other format characters).
- Dates set by a person (deadlines, extension dates, rectification deadlines): at most
  `MAX_YEARS_AHEAD` years after today.
- Years: within `YEAR_RANGE` of this year.
- A work plan: at most `MAX_MILESTONES` milestones.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.utils.translation import gettext as _

from duban import clock

from .errors import InvalidInput

MAX_YEARS_AHEAD = 10
YEAR_RANGE = 10
MAX_MILESTONES = 50
TEXT_LIMIT = 20_000

BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
)


def clean_text(value: str | None) -> str:
    """The text without direction controls and surrounding space."""
    return (value or "").translate(BIDI_CONTROLS).strip()


def has_visible_character(text: str) -> bool:
    # Categories C* (controls, format characters such as U+200B) and Z* (spaces) show nothing.
    return any(unicodedata.category(char)[0] not in "CZ" for char in text)


def required_text(value: str | None, field_name: str, label: str, limit: int = TEXT_LIMIT) -> str:
    """A required free text, cleaned; InvalidInput when it shows nothing or is too long."""
    text = clean_text(value)
    if not has_visible_character(text):
        raise InvalidInput(
            _("请填写%(label)s。") % {"label": label},
            errors={field_name: _("此项为必填项。")},
        )
    if len(text) > limit:
        raise InvalidInput(
            _("%(label)s过长（最多%(limit)d字）。") % {"label": label, "limit": limit},
            errors={field_name: _("最多%(limit)d字。") % {"limit": limit}},
        )
    return text


def latest_date() -> dt.date:
    today = clock.today()
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def check_date_ahead(day: dt.date | None, field_name: str, label: str) -> None:
    """Refuse a date more than MAX_YEARS_AHEAD years after today."""
    if day is not None and day > latest_date():
        raise InvalidInput(
            _("%(label)s（%(day)s）不能晚于今天起%(years)d年。")
            % {"label": label, "day": day.isoformat(), "years": MAX_YEARS_AHEAD},
            errors={field_name: _("请填写%(years)d年以内的日期。") % {"years": MAX_YEARS_AHEAD}},
        )


def year_bounds() -> tuple[int, int]:
    year = clock.today().year
    return year - YEAR_RANGE, year + YEAR_RANGE


def check_year(year: int | None, field_name: str = "year") -> None:
    if year is None:
        return
    low, high = year_bounds()
    if not low <= year <= high:
        raise InvalidInput(
            _("年度应在%(low)d至%(high)d之间。") % {"low": low, "high": high},
            errors={field_name: _("年度应在%(low)d至%(high)d之间。") % {"low": low, "high": high}},
        )


def check_milestone_count(count: int) -> None:
    if count > MAX_MILESTONES:
        raise InvalidInput(
            _("工作计划最多%(limit)d个时间节点，现有%(count)d个。")
            % {"limit": MAX_MILESTONES, "count": count},
            errors={"milestones": _("最多%(limit)d个节点。") % {"limit": MAX_MILESTONES}},
        )
