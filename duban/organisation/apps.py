from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "duban.organisation"
    label = "organisation"
    verbose_name = "组织与人员"
