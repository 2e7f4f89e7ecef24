"""The ledger's bulk actions (issue 9, part 5): batch urge, export of the ticked rows
and batch assign, for office supervisors only. Each item goes through its own action
(urge_item, assign_item, record_export), and the report names what became of each
ticked row; rows the person may not see are reported as not found (R-C5)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item, Notice, Urge
from duban.items.states import Status
from tests.conftest import Org, advance, establish
from tests.test_pages import html, signed_in

pytestmark = pytest.mark.django_db

BULK = "/items/bulk/"


def world() -> dict[str, Any]:
    """Everything a bulk action may change."""
    return {
        "items": sorted(Item.objects.values_list("pk", "status", "assigned_at", "updated_at")),
        "urges": Urge.objects.count(),
        "notices": Notice.objects.count(),
        "audit": sorted(
            AuditEvent.objects.exclude(verb__in=("login", "read_restricted")).values_list(
                "pk", flat=True
            )
        ),
    }


def report_rows(page: str) -> list[str]:
    """Each report row's text, tags stripped."""
    import re

    body = re.search(
        r'<table class="table table--stack bulk-report" id="bulk-report">(.*?)</table>', page, re.S
    )
    assert body, page
    rows = re.findall(r"<tr data-item=.*?</tr>", body.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.fixture
def rows(org: Org) -> dict[str, Item]:
    in_progress = advance(org, establish(org, title="办理中事项"), "in_progress")
    assigned = advance(org, establish(org, title="已交办事项"), "assigned")
    established = establish(org, title="待交办事项")
    completed = advance(org, establish(org, title="已办结事项"), "completed")
    hidden = establish(org, title="回避事项")
    actions.declare_recusal(
        org.office_supervisor, hidden, reason="本人亲属在承办单位", person=org.office_supervisor
    )
    return {
        "in_progress": in_progress,
        "assigned": assigned,
        "established": established,
        "completed": completed,
        "hidden": hidden,
    }


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("who", ["lead_liaison", "lead_head", "leader_in_charge", "system_admin"])
@pytest.mark.parametrize("operation", ["urge", "export", "assign"])
def test_only_office_supervisors_may_use_bulk_actions(
    client: Client, org: Org, rows: dict[str, Item], who: str, operation: str
):
    before = world()
    ids = [rows["in_progress"].pk, rows["established"].pk]
    data = {"operation": operation, "items": ids, "confirmed": "1"}
    response = signed_in(client, getattr(org, who)).post(BULK, data)
    assert response.status_code == 403
    assert "只有督办部门的督办员可以批量操作督办事项。" in html(response)
    assert world() == before


def test_the_ledger_offers_checkboxes_to_office_supervisors_only(
    client: Client, org: Org, rows: dict[str, Item]
):
    office = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert 'id="bulk-form"' in office
    assert f'name="items" value="{rows["in_progress"].pk}" form="bulk-form"' in office
    assert 'value="urge"' in office and 'value="export"' in office and 'value="assign"' in office
    liaison = html(signed_in(client, org.lead_liaison).get(reverse("ledger")))
    assert 'id="bulk-form"' not in liaison and 'name="items"' not in liaison


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, rows: dict[str, Item]):
    before = world()
    response = client.post(BULK, {"operation": "urge", "items": [rows["in_progress"].pk]})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert world() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"operation": "urge"}, "请先勾选要操作的督办事项。"),
        ({"operation": "urge", "items": ["abc"]}, "所选事项无效，请回到台账重新勾选。"),
        ({"operation": "urge", "items": ["-1"]}, "所选事项无效，请回到台账重新勾选。"),
        ({"operation": "urge", "items": ["１"]}, "所选事项无效，请回到台账重新勾选。"),
        ({"operation": "urge", "items": [str(n) for n in range(1, 102)]}, "一次最多操作100项"),
        ({"operation": "delete", "items": ["1"]}, "请选择批量操作：批量催办、导出所选或批量交办。"),
        ({"items": ["1"]}, "请选择批量操作：批量催办、导出所选或批量交办。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    client: Client, org: Org, rows: dict[str, Item], data: dict[str, Any], message: str
):
    before = world()
    response = signed_in(client, org.office_supervisor).post(BULK, data)
    assert response.status_code == 400
    assert message in html(response)
    assert world() == before


def test_a_get_is_not_allowed(client: Client, org: Org):
    assert signed_in(client, org.office_supervisor).get(BULK).status_code == 405


# ----------------------------------------------------------------------------- batch urge


def test_batch_urge_sends_a_system_notice_to_each_liaison_and_reports_each_item(
    client: Client, org: Org, rows: dict[str, Item]
):
    ticked = [rows[key].pk for key in ("in_progress", "assigned", "completed", "hidden")]
    ticked.append(999_999)
    response = signed_in(client, org.office_supervisor).post(
        BULK, {"operation": "urge", "items": ticked, "note": "请本周内反馈进展", "back": "status=x"}
    )
    assert response.status_code == 200
    page = html(response)
    assert "批量催办结果" in page
    assert "已办理 2 项，未办理 3 项。" in page
    number = {key: item.ledger_number for key, item in rows.items()}
    assert report_rows(page) == [
        f"{number['in_progress']} 办理中事项 已通过系统通知催办教务处联络员周联络。",
        f"{number['assigned']} 已交办事项 已通过系统通知催办教务处联络员周联络。",
        f"{number['completed']} 已办结事项 未办理：事项当前状态为“已办结”，不能执行此操作。",
        f"— 编号为{rows['hidden'].pk}的事项 未找到该事项（不存在或您无权查看）。",
        "— 编号为999999的事项 未找到该事项（不存在或您无权查看）。",
    ]
    # The hidden item's title never shows.
    assert "回避事项" not in page
    urges = Urge.objects.order_by("id")
    assert [(urge.item_id, urge.channel, urge.recipient_id, urge.note) for urge in urges] == [
        (rows["in_progress"].pk, "system", org.lead_liaison.pk, "请本周内反馈进展"),
        (rows["assigned"].pk, "system", org.lead_liaison.pk, "请本周内反馈进展"),
    ]
    assert AuditEvent.objects.filter(verb="urge").count() == 2
    notices = Notice.objects.filter(recipient=org.lead_liaison, title__startswith="督办催办")
    assert sorted(notices.values_list("item_id", flat=True)) == sorted(ticked[:2])
    # Back to the ledger with the filters it came from (cleaned).
    assert 'href="/items/?status=x"' in page


def test_batch_urge_reports_a_lead_unit_without_liaison(
    client: Client, org: Org, rows: dict[str, Item]
):
    org.lead_unit.liaison = None
    org.lead_unit.save()
    before = world()
    page = html(
        signed_in(client, org.office_supervisor).post(
            BULK, {"operation": "urge", "items": [rows["in_progress"].pk]}
        )
    )
    assert report_rows(page) == [
        f"{rows['in_progress'].ledger_number} 办理中事项 "
        "未办理：承办单位未设置联络员，无法发送系统通知催办。"
    ]
    assert world() == before


# ----------------------------------------------------------------------------- batch export


def test_batch_export_writes_the_ticked_rows_and_is_audited(
    client: Client, org: Org, rows: dict[str, Item]
):
    ticked = [rows["in_progress"].pk, rows["established"].pk, rows["hidden"].pk, 999_999]
    response = signed_in(client, org.office_supervisor).post(
        BULK, {"operation": "export", "items": ticked}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert rows["in_progress"].ledger_number in cells
    assert rows["established"].ledger_number in cells
    assert rows["assigned"].ledger_number not in cells
    assert rows["hidden"].ledger_number not in cells
    assert any("勾选的2项（另有2项未找到，未导出）" in cell for cell in cells)
    event = AuditEvent.objects.get(verb="export_ledger")
    assert event.actor_id == org.office_supervisor.pk
    assert event.data["count"] == 2
    assert event.data["filters"] == {
        "selected": f"{rows['in_progress'].pk},{rows['established'].pk}"
    }


def test_batch_export_of_nothing_visible_is_refused(
    client: Client, org: Org, rows: dict[str, Item]
):
    before = world()
    response = signed_in(client, org.office_supervisor).post(
        BULK, {"operation": "export", "items": [rows["hidden"].pk, 999_999]}
    )
    assert response.status_code == 400
    assert "所选事项均未找到（不存在或您无权查看），没有可导出的事项。" in html(response)
    assert world() == before


# ----------------------------------------------------------------------------- batch assign


def test_batch_assign_asks_for_confirmation_and_changes_nothing_until_then(
    client: Client, org: Org, rows: dict[str, Item]
):
    second = establish(org, title="另一待交办事项")
    ticked = [rows["established"].pk, second.pk, rows["in_progress"].pk, rows["hidden"].pk]
    before = world()
    response = signed_in(client, org.office_supervisor).post(
        BULK, {"operation": "assign", "items": ticked, "back": "status=established"}
    )
    assert response.status_code == 200
    page = html(response)
    assert world() == before
    assert "请确认：批量交办" in page
    assert "将交办以下2项" in page and "另有2项不能交办" in page
    assert report_rows(page) == [
        f"{rows['established'].ledger_number} 待交办事项 将交办给教务处。",
        f"{second.ledger_number} 另一待交办事项 将交办给教务处。",
        f"{rows['in_progress'].ledger_number} 办理中事项 "
        "未办理：事项当前状态为“办理中”，不能执行此操作。",
        f"— 编号为{rows['hidden'].pk}的事项 未找到该事项（不存在或您无权查看）。",
    ]
    # The confirmation posts the same form again, with confirmed=1.
    for pk in ticked:
        assert f'<input type="hidden" name="items" value="{pk}">' in page
    assert '<input type="hidden" name="confirmed" value="1">' in page
    assert '<input type="hidden" name="operation" value="assign">' in page

    confirmed = client.post(
        BULK,
        {
            "operation": "assign",
            "items": ticked,
            "confirmed": "1",
            "instruction": "请于三日内签收",
        },
    )
    assert confirmed.status_code == 200
    done = html(confirmed)
    assert "批量交办结果" in done and "已办理 2 项，未办理 2 项。" in done
    assert report_rows(done)[:2] == [
        f"{rows['established'].ledger_number} 待交办事项 已交办给教务处。",
        f"{second.ledger_number} 另一待交办事项 已交办给教务处。",
    ]
    assert Item.objects.get(pk=rows["established"].pk).status == Status.ASSIGNED
    assert Item.objects.get(pk=second.pk).status == Status.ASSIGNED
    assert Item.objects.get(pk=rows["in_progress"].pk).status == Status.IN_PROGRESS
    assert Item.objects.get(pk=rows["hidden"].pk).status == Status.ESTABLISHED
    events = AuditEvent.objects.filter(
        verb="assign", item_id__in=[rows["established"].pk, second.pk]
    )
    assert events.count() == 2
    assert all(event.data == {"instruction": "请于三日内签收"} for event in events)


def test_a_batch_assign_with_nothing_assignable_offers_no_confirm_button(
    client: Client, org: Org, rows: dict[str, Item]
):
    before = world()
    page = html(
        signed_in(client, org.office_supervisor).post(
            BULK, {"operation": "assign", "items": [rows["completed"].pk]}
        )
    )
    assert "所选事项都不能交办。" in page
    assert 'name="confirmed"' not in page
    assert world() == before
