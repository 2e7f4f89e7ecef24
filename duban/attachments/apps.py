from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "duban.attachments"
    label = "attachments"
    verbose_name = "附件"
