"""Small template helpers of the pages.

`light` and `deadline` write the two cells every list of items shows in each row. They
are written in Python rather than included templates: a page of 100 rows included
them 200 times, and the template language spent a large share of the page's time on
them. Every text is escaped (`html.escape`, as Django's own `escape`)."""

from __future__ import annotations

import datetime as dt
import functools
from html import escape
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from duban.items.lights import GREEN, LIGHTS, is_overdue
from duban.web.widgets import fast

register = template.Library()

# The progress flags of a row (R-U1, R-F3), from duban.items.lights.annotate_lights.
FLAGS = (
    ("no_progress", _("10个工作日无反馈")),
    ("missed_milestone", _("计划节点未报进展")),
    ("missed_phase_report", _("阶段性反馈未报")),
)
PROVISIONAL = _("暂定")
PROVISIONAL_TITLE = _("该年度节假日安排尚未公布，时限按周一至周五暂定计算")
OVERDUE = _("已超期")
ORIGINALLY = _("原定")


# A number no route takes (ids are positive): it stands for the id while reversing.
_SENTINEL = 987_654_321_012
_PATHS: dict[tuple[str, str], tuple[str, str]] = {}


@register.simple_tag
def id_url(name: str, pk: int) -> str:
    """`{% url name pk %}` for a route whose one argument is an id, reversed once per
    route and script prefix: a list of 200 items with three links a row spent a tenth
    of its time reversing."""
    before, after = _route(name)
    return f"{before}{int(pk)}{after}"


def _route(name: str) -> tuple[str, str]:
    """The path of route `name` before and after its id."""
    key = (name, get_script_prefix())
    if key not in _PATHS:
        before, _sep, after = reverse(name, args=[_SENTINEL]).partition(str(_SENTINEL))
        _PATHS[key] = (before, after)
    return _PATHS[key]


def _day(value: dt.date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


@register.simple_tag
def light(row: Any) -> SafeString:
    """The row's warning light (R-U4) and its progress flags; the row (an item or a
    work part) comes from `annotate_lights`."""
    flags = tuple(flag for flag, _text in FLAGS if getattr(row, flag, False))
    return mark_safe(_light_html(str(getattr(row, "light", "")), flags, get_language()))  # noqa: S308


@functools.cache
def _light_html(code: str, flags: tuple[str, ...], language: str | None) -> str:
    """A light's HTML, every text escaped, translated once per language (lists show
    hundreds of lights)."""
    code = escape(code)
    shown = LIGHTS.get(code, LIGHTS[GREEN])
    html = (
        f'<span class="light light--{code}" data-light="{code}" '
        f'title="{escape(str(shown.meaning))}">{escape(str(shown.label))}</span>'
    )
    texts = [text for flag, text in FLAGS if flag in flags]
    if texts:
        tags = "".join(f'<span class="tag tag--flag">{escape(str(text))}</span>' for text in texts)
        html += f'<span class="light-flags">{tags}</span>'
    return html


@register.simple_tag
def deadline(item: Any, today: Any) -> SafeString:
    """The item's deadline, marked provisional (R-D6) or overdue (R-U4), with the
    original one below when it was extended (R-E4)."""
    html = f'<span class="deadline">{_day(item.deadline)}</span>'
    if item.deadline_provisional:
        html += (
            f' <span class="tag tag--provisional" title="{escape(str(PROVISIONAL_TITLE))}">'
            f"{escape(str(PROVISIONAL))}</span>"
        )
    if isinstance(today, dt.date) and item.deadline and is_overdue(item, today):
        html += f' <span class="tag tag--overdue">{escape(str(OVERDUE))}</span>'
    if item.deadline_extended:
        html += (
            f'<div class="muted small">{escape(str(ORIGINALLY))} '
            f"{_day(item.original_deadline)}</div>"
        )
    return mark_safe(html)  # noqa: S308 - every text above is escaped


REQUIRED = _("必填")


@register.simple_tag
def field_block(field: Any) -> SafeString:
    """A form field as every form of the pages shows it: its label (a required mark),
    the widget, the help text and the errors. Written in Python: the ledger's filter
    form included a template per field on every page."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    multiple = getattr(widget, "allow_multiple_selected", False)
    classes = "field"
    if field.errors:
        classes += " field--error"
    if input_type == "checkbox" and not multiple:
        classes += " field--checkbox"
    label = conditional_escape(field.label)
    required = (
        f'<span class="field__required" title="{escape(str(REQUIRED))}"> *</span>'
        if field.field.required
        else ""
    )
    for_id = conditional_escape(field.id_for_label or "")
    control = field.as_widget(widget=fast(widget))
    if (multiple and input_type == "checkbox") or input_type == "radio":
        body = (
            f'<span class="field__label">{label}{required}</span>\n'
            f'  <div class="choices">{control}</div>'
        )
    elif input_type == "checkbox":
        body = f'{control} <label for="{for_id}">{label}</label>'
    else:
        body = f'<label class="field__label" for="{for_id}">{label}{required}</label>\n  {control}'
    help_text = (
        f'\n  <p class="field__help">{conditional_escape(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    errors = "".join(
        f'\n  <p class="field__error">{conditional_escape(error)}</p>' for error in field.errors
    )
    return mark_safe(f'<div class="{classes}">\n  {body}{help_text}{errors}\n</div>')  # noqa: S308


# The texts of the item lists' rows (`ledger_rows`, `attention_rows`), one entry each.
ROW_TEXTS = {
    "number": _("台账编号"),
    "title": _("事项名称"),
    "source": _("来源"),
    "unit": _("承办单位"),
    "deadline": _("办结时限"),
    "status": _("状态"),
    "light": _("预警"),
    "urgent": _("紧急"),
    "feedback": _("最近反馈"),
    "urges": _("催办情况"),
    "urge": _("催办"),
    "no_feedback": _("尚无反馈"),
    "latest": _("最近"),
    "not_urged": _("未催办"),
    "system_urge": _("系统催办联络员"),
    "other_ways": _("电话、短信等其他方式"),
    "contributed": _("本单位报送"),
    "sent": _("已报送"),
    "to_send": _("待报送"),
}


def _row_texts() -> dict[str, str]:
    """`ROW_TEXTS` translated and escaped, once per list."""
    return {key: escape(str(value)) for key, value in ROW_TEXTS.items()}


def _local_day(value: dt.datetime | None) -> str:
    return _day(timezone.localtime(value)) if value else ""


@register.simple_tag(takes_context=True)
def attention_rows(context: template.Context, items: Any) -> SafeString:
    """The rows of one list of the attention page (duban.web.supervision_views), each
    with its one-click urge form. Written in Python: the page lists up to 200 items,
    some in two lists, and the template language spent most of the page's time on
    them."""
    text = _row_texts()
    csrf = escape(get_token(context["request"]))
    today, year = context["today"], context["year"]
    (detail, detail_end), (urge, urge_end) = _route("item-detail"), _route("attention-urge")
    rows = []
    for item in items:
        pk = int(item.pk)
        item_url = f"{detail}{pk}{detail_end}"
        urgent = f' <span class="tag tag--urgent">{text["urgent"]}</span>' if item.urgent else ""
        unit_urges = escape(
            gettext("%(year)s年被催办 %(count)s 次") % {"year": year, "count": item.unit_urges}
        )
        feedback = (
            _local_day(item.last_feedback_at)
            if item.last_feedback_at
            else f'<span class="muted">{text["no_feedback"]}</span>'
        )
        if item.urge_count:
            urged = escape(gettext("已催办 %(count)s 次") % {"count": item.urge_count})
            urged += (
                f'<div class="muted small">{text["latest"]} {_local_day(item.last_urged_at)}</div>'
            )
        else:
            urged = f'<span class="muted">{text["not_urged"]}</span>'
        rows.append(
            f'<tr data-item="{pk}">'
            f'<td class="nowrap" data-label="{text["number"]}">{escape(item.ledger_number)}</td>'
            f'<td data-label="{text["title"]}"><a href="{item_url}">{escape(item.title)}</a>'
            f"{urgent}</td>"
            f'<td data-label="{text["unit"]}">{escape(item.lead_unit.name)}'
            f'<div class="muted small">{unit_urges}</div></td>'
            f'<td class="nowrap" data-label="{text["deadline"]}">{deadline(item, today)}</td>'
            f'<td data-label="{text["light"]}">{light(item)}</td>'
            f'<td class="nowrap" data-label="{text["feedback"]}">{feedback}</td>'
            f'<td data-label="{text["urges"]}">{urged}</td>'
            f'<td data-label="{text["urge"]}">'
            f'<form method="post" action="{urge}{pk}{urge_end}" '
            'class="inline-urge">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<button type="submit" class="button button--small button--primary">'
            f"{text['system_urge']}</button></form>"
            f'<a class="small" href="{item_url}#action-urge">{text["other_ways"]}</a>'
            "</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text above is escaped


def _number_and_title(item: Any, text: dict[str, str], detail: str, detail_end: str) -> str:
    """A row's first cells: the ledger number, and the title linked to the item (its
    urgent mark beside it)."""
    urgent = f' <span class="tag tag--urgent">{text["urgent"]}</span>' if item.urgent else ""
    return (
        f'<td class="nowrap" data-label="{text["number"]}">{escape(item.ledger_number)}</td>'
        f'<td data-label="{text["title"]}"><a href="{detail}{int(item.pk)}{detail_end}">'
        f"{escape(item.title)}</a>{urgent}</td>"
    )


def _status(item: Any) -> str:
    status = escape(item.status)
    return f'<span class="status status--{status}">{escape(str(item.get_status_display()))}</span>'


@register.simple_tag(takes_context=True)
def item_rows(context: template.Context, items: Any, show_contributed: bool = False) -> SafeString:
    """The rows of a list of 我的工作 (duban.web.worklists), with whether this unit has
    reported when `show_contributed`. Written in Python: the office's page lists up to
    250 items, and the template language spent most of its time on them."""
    text = _row_texts()
    today = context["today"]
    detail, detail_end = _route("item-detail")
    rows = []
    for item in items:
        contributed = ""
        if show_contributed:
            sent = (
                text["sent"]
                if item.contributed
                else f'<span class="tag tag--todo">{text["to_send"]}</span>'
            )
            contributed = f'<td data-label="{text["contributed"]}">{sent}</td>'
        rows.append(
            f"<tr>{_number_and_title(item, text, detail, detail_end)}"
            f'<td data-label="{text["unit"]}">{escape(item.lead_unit.name)}</td>'
            f'<td class="nowrap" data-label="{text["deadline"]}">{deadline(item, today)}</td>'
            f'<td data-label="{text["status"]}">{_status(item)}</td>'
            f'<td data-label="{text["light"]}">{light(item)}</td>'
            f"{contributed}</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text above is escaped


@register.simple_tag(takes_context=True)
def ledger_rows(context: template.Context, items: Any) -> SafeString:
    """The ledger's rows (duban.web.views.ledger), with the office's select box when
    `bulk`. Written in Python: the ledger is the page opened most, and the template
    language spent a third of its time on the rows."""
    text = _row_texts()
    today, bulk = context["today"], context.get("bulk")
    detail, detail_end = _route("item-detail")
    rows = []
    for item in items:
        pk = int(item.pk)
        select = ""
        if bulk:
            label = escape(gettext("选择%(number)s") % {"number": item.ledger_number})
            select = (
                f'<td class="ledger-select"><input type="checkbox" name="items" value="{pk}" '
                f'form="bulk-form" aria-label="{label}"></td>'
            )
        kind = escape(str(item.get_source_kind_display()))
        body = escape(str(item.get_source_body_display()))
        rows.append(
            f"<tr>{select}{_number_and_title(item, text, detail, detail_end)}"
            f'<td class="ledger-source" data-label="{text["source"]}">'
            f'<span title="{kind} · {body}">{body}</span></td>'
            f'<td class="nowrap" data-label="{text["unit"]}">{escape(item.lead_unit.name)}</td>'
            f'<td class="nowrap" data-label="{text["deadline"]}">{deadline(item, today)}</td>'
            f'<td class="nowrap" data-label="{text["status"]}">{_status(item)}</td>'
            f'<td class="nowrap" data-label="{text["light"]}">{light(item)}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text above is escaped
