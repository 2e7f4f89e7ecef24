"""The documents pages' forms: they only read and type the input; the actions decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.web.forms import date_field


class CircularForm(forms.Form):
    start = date_field(_("通报期间起"))
    end = date_field(_("通报期间止"))


class VolumeForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(year, _("%(year)d年") % {"year": year}) for year in years]


def month_period(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month of `day`."""
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)
