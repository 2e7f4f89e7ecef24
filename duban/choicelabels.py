"""`get_FOO_display` from a table of translated labels, built once per field and language.

Django's own builds a dictionary of every choice, translating each label, on every call:
a ledger page of 20 rows asks for 80 labels and so translated about 700. Models whose
choices are shown in lists take this mixin; the labels and the fallback (the stored value
when it is not a choice) are Django's.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import Field
from django.utils.translation import get_language


class ChoiceLabels:
    def _get_FIELD_display(self, field: Field) -> Any:
        value = getattr(self, field.attname)
        try:
            return _labels(field, get_language()).get(value, value)
        except TypeError:  # an unhashable value: Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]


@functools.cache
def _labels(field: Field, language: str | None) -> dict[Any, str]:
    return {value: str(label) for value, label in field.flatchoices}
