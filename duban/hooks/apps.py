from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "duban.hooks"
    label = "hooks"
    verbose_name = "事件推送"
