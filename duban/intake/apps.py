from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "duban.intake"
    label = "intake"
    verbose_name = "纪要与工作要点立项"
