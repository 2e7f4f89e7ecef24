from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "duban.documents"
    label = "documents"
    verbose_name = "通报与归档"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system check)
