from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from accounts import backends  # connects the cached person's signals
        from hitrecord import prefetch

        prefetch.with_person(backends.prefetch_keys)
