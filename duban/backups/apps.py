from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "duban.backups"
    label = "backups"
    verbose_name = _("备份与恢复")
    default_auto_field = "django.db.models.BigAutoField"
