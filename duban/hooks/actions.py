"""The webhooks' actions: register, change, deactivate and re-enable an endpoint, make
a new secret, send a test message.

Like every action (DESIGN.md), each checks who may act, validates, changes the rows
and writes its audit event in one transaction; a refusal raises an `ActionError` and
changes nothing. Endpoints are an office's: its supervisors (督办员) manage them
(`endpoints_for`); anyone else is refused. The secret never enters the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.organisation.models import Role

from . import events, signing, targets
from .models import DeliveryStatus, Endpoint, EventKind, HookDelivery

NAME_LIMIT = 100


def is_manager(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.OFFICE_SUPERVISOR
        and user.unit_id
    )


def check_manager(user: Any) -> None:
    if not is_manager(user):
        raise PermissionRefused(_("只有督办部门的督办员可以管理事件推送。"))


def endpoints_for(user: Any) -> QuerySet[Endpoint]:
    """The endpoints `user` may manage: their own office's (none for anyone else)."""
    if not is_manager(user):
        return Endpoint.objects.none()
    return Endpoint.objects.filter(office_id=user.unit_id)


def _locked(actor: Any, endpoint: Endpoint) -> Endpoint:
    check_manager(actor)
    found = endpoints_for(actor).select_for_update().filter(pk=endpoint.pk).first()
    if found is None:
        raise PermissionRefused(_("您无权管理此事件推送。"))
    return found


def _clean(
    name: str | None, url: str | None, kinds: Sequence[str] | None
) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写名称。")
    elif len(name) > NAME_LIMIT:
        errors["name"] = _("名称不超过%(limit)s个字符。") % {"limit": NAME_LIMIT}
    try:
        url = targets.check_url(url or "")
    except targets.TargetRefused as error:
        errors["url"] = str(error)
    chosen = list(dict.fromkeys(kinds or []))
    unknown = [kind for kind in chosen if kind not in EventKind.values]
    if unknown:
        errors["events"] = _("未知的事件：%(kinds)s") % {"kinds": "、".join(map(str, unknown))}
    elif not chosen:
        errors["events"] = _("请至少选择一种事件。")
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first if len(errors) == 1 else _("请修改标出的各项。"), errors=errors)
    # In the order of EventKind, whatever order they came in.
    return name, str(url), [kind for kind in EventKind.values if kind in chosen]


def _described(endpoint: Endpoint) -> dict[str, Any]:
    return {"endpoint": endpoint.pk, "url": endpoint.url, "events": endpoint.events}


@transaction.atomic
def create_endpoint(
    actor: Any, *, name: str | None, url: str | None, kinds: Sequence[str] | None
) -> tuple[Endpoint, str]:
    """Register an endpoint of the actor's office; returns it and its new secret, which
    is shown to the actor this once."""
    check_manager(actor)
    name, url, chosen = _clean(name, url, kinds)
    now = clock.now()
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        office_id=actor.unit_id,
        name=name,
        url=url,
        events=chosen,
        secret=secret,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    record(
        actor,
        "create_webhook",
        _("新建事件推送“%(name)s”：%(url)s") % {"name": name, "url": url},
        data=_described(endpoint),
    )
    return endpoint, secret


@transaction.atomic
def update_endpoint(
    actor: Any,
    endpoint: Endpoint,
    *,
    name: str | None,
    url: str | None,
    kinds: Sequence[str] | None,
) -> Endpoint:
    locked = _locked(actor, endpoint)
    name, url, chosen = _clean(name, url, kinds)
    locked.name, locked.url, locked.events = name, url, chosen
    locked.updated_at = clock.now()
    locked.save(update_fields=["name", "url", "events", "updated_at"])
    record(
        actor,
        "update_webhook",
        _("修改 事件推送“%(name)s”：%(url)s") % {"name": name, "url": url},
        data=_described(locked),
    )
    return locked


@transaction.atomic
def deactivate_endpoint(actor: Any, endpoint: Endpoint) -> Endpoint:
    """Stop sending to the endpoint: no new deliveries, and those waiting are held."""
    locked = _locked(actor, endpoint)
    if not locked.is_active:
        raise StateRefused(_("此事件推送 已停用。"))
    locked.is_active = False
    locked.updated_at = clock.now()
    locked.save(update_fields=["is_active", "updated_at"])
    record(
        actor,
        "deactivate_webhook",
        _("停用 事件推送“%(name)s”") % {"name": locked.name},
        data={"endpoint": locked.pk},
    )
    return locked


@transaction.atomic
def activate_endpoint(actor: Any, endpoint: Endpoint) -> Endpoint:
    """Turn a deactivated endpoint back on, or resume a failing one: its failed
    deliveries go back on the queue with their attempts counted afresh."""
    locked = _locked(actor, endpoint)
    if locked.is_active and not locked.is_failing:
        raise StateRefused(_("此事件推送 正在正常发送，无需恢复。"))
    now = clock.now()
    requeued = 0
    if locked.is_failing:
        requeued = HookDelivery.objects.filter(
            endpoint=locked, status=DeliveryStatus.FAILED
        ).update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
    locked.is_active = True
    locked.failing_since = None
    locked.updated_at = now
    locked.save(update_fields=["is_active", "failing_since", "updated_at"])
    record(
        actor,
        "activate_webhook",
        _("恢复 事件推送“%(name)s”，重新发送%(count)s条失败的投递")
        % {"name": locked.name, "count": requeued},
        data={"endpoint": locked.pk, "requeued": requeued},
    )
    transaction.on_commit(events.enqueue_sending, robust=True)
    return locked


@transaction.atomic
def regenerate_secret(actor: Any, endpoint: Endpoint) -> str:
    """A new secret for the endpoint, replacing the old at once; returned to be shown
    this once."""
    locked = _locked(actor, endpoint)
    secret = signing.new_secret()
    locked.secret = secret
    locked.updated_at = clock.now()
    locked.save(update_fields=["secret", "updated_at"])
    record(
        actor,
        "regenerate_webhook_secret",
        _("重新生成 事件推送“%(name)s”的签名密钥，原密钥已失效") % {"name": locked.name},
        data={"endpoint": locked.pk},
    )
    return secret


@transaction.atomic
def send_test_ping(actor: Any, endpoint: Endpoint) -> HookDelivery:
    """Queue a signed test message (event "ping") to the endpoint; its outcome shows
    in the delivery log."""
    locked = _locked(actor, endpoint)
    if not locked.is_active:
        raise StateRefused(_("此事件推送 已停用，请先启用。"))
    if locked.is_failing:
        raise StateRefused(_("此事件推送 已暂停发送，请先恢复发送。"))
    now = clock.now()
    event_id = uuid.uuid4()
    [delivery] = events.write(
        [
            HookDelivery(
                endpoint=locked,
                event_id=event_id,
                event="ping",
                payload=events.ping_payload(event_id, locked, now),
                next_attempt_at=now,
                created_at=now,
            )
        ]
    )
    record(
        actor,
        "ping_webhook",
        _("向 事件推送“%(name)s”发送测试消息") % {"name": locked.name},
        data={"endpoint": locked.pk, "delivery": delivery.pk},
    )
    return delivery
