"""Extension requests gain 已失效 (expired): a request still waiting when its item
closes expires with it (issue 11). Requests left waiting on items closed before this
release expire here, with the reason saying so."""

from django.db import migrations, models

CLOSED = ("completed", "terminated", "archived")


def expire_requests_of_closed_items(apps, schema_editor):
    ExtensionRequest = apps.get_model("items", "ExtensionRequest")
    for request in ExtensionRequest.objects.filter(status="pending", item__status__in=CLOSED):
        request.status = "expired"
        request.decided_at = (
            request.item.completed_at or request.item.terminated_at or request.created_at
        )
        request.comment = "事项已关闭，延期申请随之失效（系统升级时补记）"
        request.save(update_fields=["status", "decided_at", "comment"])


class Migration(migrations.Migration):
    dependencies = [("items", "0004_recusal_and_named_leaders")]

    operations = [
        migrations.AlterField(
            model_name="extensionrequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "待审批"),
                    ("approved", "已批准"),
                    ("rejected", "未批准"),
                    ("expired", "已失效"),
                ],
                default="pending",
                max_length=20,
                verbose_name="状态",
            ),
        ),
        migrations.RunPython(expire_requests_of_closed_items, migrations.RunPython.noop),
    ]
