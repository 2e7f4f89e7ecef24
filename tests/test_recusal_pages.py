"""Recusal (R-C4) in the pages and the API, and the audit of restricted reads."""

from __future__ import annotations

from typing import Any

from django.test import Client

from duban.audit.models import AuditEvent
from duban.items.models import Item, Recusal

from .conftest import Org, advance, establish
from .test_api import token_for


def page(client: Client, user: Any, path: str) -> Any:
    client.force_login(user)
    return client.get(path)


def test_r_c4_a_person_declares_their_own_recusal_and_loses_the_item(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    client = Client()
    assert page(client, org.cooperating_liaison, f"/items/{item.pk}/").status_code == 200
    response = client.post(
        f"/items/{item.pk}/recusal/", {"who": "self", "reason": "本人配偶在承办单位任职"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    recusal = Recusal.objects.get(item=item)
    assert recusal.person == org.cooperating_liaison
    assert recusal.declared_by == org.cooperating_liaison
    assert client.get(f"/items/{item.pk}/").status_code == 404


def test_r_c4_the_office_records_a_unit_and_is_warned(org: Org) -> None:
    item = establish(org)
    client = Client()
    page(client, org.office_supervisor, f"/items/{item.pk}/")
    response = client.post(
        f"/items/{item.pk}/recusal/",
        {"who": "unit", "unit": org.cooperating_unit.pk, "reason": "该单位负责人为被反映人"},
    )
    assert response.status_code == 302
    shown = client.get(f"/items/{item.pk}/").content.decode()
    assert "已登记回避，请勿向其交办" in shown
    assert "该单位负责人为被反映人" in shown


def test_r_c4_a_refused_recusal_shows_why_and_changes_nothing(org: Org) -> None:
    item = establish(org)
    client = Client()
    page(client, org.office_supervisor, f"/items/{item.pk}/")
    events = AuditEvent.objects.count()
    response = client.post(
        f"/items/{item.pk}/recusal/",
        {"who": "unit", "unit": org.lead_unit.pk, "reason": "利害关系"},
    )
    assert response.status_code == 400
    assert "承办单位需要回避时" in response.content.decode()
    response = client.post(f"/items/{item.pk}/recusal/", {"who": "self", "reason": ""})
    assert response.status_code == 400
    assert "请填写回避理由" in response.content.decode()
    assert Recusal.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_r_c4_an_outsider_cannot_post_a_recusal(org: Org) -> None:
    item = establish(org)
    client = Client()
    client.force_login(org.other_unit_liaison)
    response = client.post(f"/items/{item.pk}/recusal/", {"who": "self", "reason": "x"})
    assert response.status_code == 404
    assert Recusal.objects.count() == 0


def test_r_c4_recusal_through_the_api(org: Org) -> None:
    item = establish(org)
    client = Client()
    headers = {"Authorization": f"Bearer {token_for(client, org.office_supervisor)}"}
    response = client.post(
        f"/api/v1/items/{item.pk}/recusal",
        {"person": org.lead_head.pk, "reason": "近亲属关系"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["message"] == "已登记回避。"
    assert item.pk not in set(Item.objects.visible_to(org.lead_head).values_list("pk", flat=True))
    refused = client.post(
        f"/api/v1/items/{item.pk}/recusal",
        {"reason": "x"},
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert Recusal.objects.count() == 1
    # Whoever is recused gets the item exactly like a missing one.
    lead_head = {"Authorization": f"Bearer {token_for(client, org.lead_head)}"}
    hidden = client.get(f"/api/v1/items/{item.pk}", headers=lead_head)
    missing = client.get("/api/v1/items/999999", headers=lead_head)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_reading_a_restricted_item_is_audited(org: Org) -> None:
    ordinary = establish(org)
    sensitive = establish(org, confidentiality="sensitive")
    client = Client()
    page(client, org.lead_liaison, f"/items/{ordinary.pk}/")
    assert not AuditEvent.objects.filter(verb="read_restricted").exists()
    assert client.get(f"/items/{sensitive.pk}/").status_code == 200
    headers = {"Authorization": f"Bearer {token_for(client, org.lead_liaison)}"}
    assert client.get(f"/api/v1/items/{sensitive.pk}", headers=headers).status_code == 200
    reads = list(AuditEvent.objects.filter(verb="read_restricted").order_by("sequence"))
    assert [(event.actor, event.item, event.data["via"]) for event in reads] == [
        (org.lead_liaison, sensitive, "页面"),
        (org.lead_liaison, sensitive, "接口"),
    ]
