from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "duban.accounts"
    label = "accounts"
    verbose_name = "账号安全"

    def ready(self) -> None:
        # Login auditing listens to django.contrib.auth's signals: infrastructure, not
        # business logic (every login path, web or API, goes through them).
        from . import logins

        logins.connect()
