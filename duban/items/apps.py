from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "duban.items"
    label = "items"
    verbose_name = "督办事项"
