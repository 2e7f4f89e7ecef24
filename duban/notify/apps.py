from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "duban.notify"
    label = "notify"
    verbose_name = "通知"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system checks)
