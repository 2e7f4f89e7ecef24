"""`{% id_url %}` writes exactly what `{% url %}` writes for a route taking an id, under
any script prefix (a deployment below a path, such as /duban/)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

ROUTES = ["item-detail", "attention-urge", "item-print"]


def render(source: str, pk: object) -> str:
    return Template("{% load duban_tags %}" + source).render(Context({"pk": pk}))


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("prefix", ["/", "/duban/"])
def test_id_url_is_url(name: str, prefix: str) -> None:
    set_script_prefix(prefix)
    try:
        for pk in (1, 42, 987_654):
            expected = reverse(name, args=[pk])
            assert expected.startswith(prefix)
            assert render(f"{{% id_url '{name}' pk %}}", pk) == expected
            assert render(f"{{% url '{name}' pk %}}", pk) == expected
    finally:
        set_script_prefix("/")


def test_id_url_takes_only_ids() -> None:
    # Text in place of an id is an error, never a link with the text spliced in.
    with pytest.raises(ValueError):
        render("{% id_url 'item-detail' pk %}", "1/../../admin")
