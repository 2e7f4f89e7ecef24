"""System checks: a deployment that chose a cloud SMS gateway must configure it, and
one that sets up a personal work notice app (企业微信, 钉钉) must set it up whole."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from . import sms


@checks.register()
def check_sms_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    missing = sms.missing_settings()
    if not missing:
        return []
    return [
        checks.Error(
            f"SMS_BACKEND={settings.SMS_BACKEND} needs {', '.join(missing)}",
            hint="Set them in the environment (docs/deployment.md) or use SMS_BACKEND=logging.",
            id="duban_notify.E001",
        )
    ]


PLATFORM_SETTINGS = {
    "WECOM": ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET"),
    "DINGTALK": ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET", "DINGTALK_AGENT_ID"),
}


@checks.register()
def check_platform_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for prefix, names in PLATFORM_SETTINGS.items():
        given = [name for name in names if getattr(settings, name)]
        if given and len(given) < len(names):
            missing = [name for name in names if name not in given]
            errors.append(
                checks.Error(
                    f"{', '.join(given)} set without {', '.join(missing)}",
                    hint="Set all three (docs/deployment.md) or none.",
                    id="duban_notify.E002",
                )
            )
        agent_id = getattr(settings, f"{prefix}_AGENT_ID")
        if agent_id and not str(agent_id).isdigit():
            errors.append(
                checks.Error(
                    f"{prefix}_AGENT_ID must be a number, got {agent_id!r}",
                    id="duban_notify.E003",
                )
            )
    return errors
