"""System checks: a deployment that chose a cloud SMS gateway must configure it."""

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
