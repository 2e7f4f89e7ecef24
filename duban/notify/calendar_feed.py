"""Each person's calendar feed, /calendar/<token>.ics (RFC 5545, built with icalendar).

The feed carries, as all-day events, the deadline (办结时限) of every active item the
person may see — through `Item.objects.visible_to`, the one rule (R-C5) — and the
milestones of those items' current work plans (R-A3), each linking back to the item.
It is built afresh at every fetch, so a changed deadline, a new plan, a recusal or a
closed item shows at the calendar's next refresh; its queries do not grow with its
rows.

The token is the URL's secret: 256 random bits, kept only as its SHA-256
(`CalendarFeed.token_hash`). A new token replaces the old one, which then answers
404, as does a revoked one or that of a person no longer active.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import urllib.parse
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from duban import clock
from duban.items.models import Item, Milestone
from duban.items.states import ACTIVE_STATUSES

from .models import CalendarFeed

PRODID = "-//duban//督办系统//ZH"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('calendar-feed', args=[token])}"


def owner(token: str) -> Any | None:
    """The active person whose feed `token` opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=token_hash(token), user__is_active=True)
        .first()
    )
    return feed.user if feed is not None else None


def _item_link(item_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('item-detail', args=[item_id])}"


def _event(uid: str, summary: str, day: dt.date, description: str, url: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", clock.now())
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("description", description)
    event.add("url", url)
    return event


def build(user: Any) -> bytes:
    """The person's feed as iCalendar bytes: two queries, whatever the number of items."""
    host = urllib.parse.urlsplit(settings.SITE_URL).hostname or "duban"
    visible = Item.objects.visible_to(user).filter(status__in=ACTIVE_STATUSES)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("督办事项"))
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    items = visible.order_by("deadline", "pk").values(
        "pk", "title", "ledger_number", "deadline", "deadline_provisional", "lead_unit__name"
    )
    for item in items:
        link = _item_link(item["pk"])
        lines = [
            _("台账编号：%(number)s") % {"number": item["ledger_number"]},
            _("承办单位：%(unit)s") % {"unit": item["lead_unit__name"]},
        ]
        if item["deadline_provisional"]:
            lines.append(_("该时限按暂定日历计算，待当年日历公布后可能调整。"))
        lines.append(_("查看详情：%(link)s") % {"link": link})
        calendar.add_component(
            _event(
                f"item-{item['pk']}-deadline@{host}",
                _("【办结时限】%(title)s") % {"title": item["title"]},
                item["deadline"],
                "\n".join(lines),
                link,
            )
        )
    milestones = (
        Milestone.objects.filter(plan__item__in=visible.values("pk"))
        .filter(plan__superseded_by__isnull=True)
        .order_by("due_on", "pk")
        .values("pk", "title", "due_on", "plan__item_id", "plan__item__title")
    )
    for milestone in milestones:
        link = _item_link(milestone["plan__item_id"])
        calendar.add_component(
            _event(
                f"milestone-{milestone['pk']}@{host}",
                _("【计划节点】%(title)s") % {"title": milestone["title"]},
                milestone["due_on"],
                "\n".join(
                    [
                        _("事项名称：%(title)s") % {"title": milestone["plan__item__title"]},
                        _("查看详情：%(link)s") % {"link": link},
                    ]
                ),
                link,
            )
        )
    return bytes(calendar.to_ical())
