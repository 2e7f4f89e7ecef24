from django.apps import AppConfig


class SpotChecksConfig(AppConfig):
    name = "duban.spotchecks"
    label = "spotchecks"
    verbose_name = "回访抽查"
