from django.apps import AppConfig


class HitrecordConfig(AppConfig):
    name = "hitrecord"
    verbose_name = "hitrecord plumbing"

    def ready(self) -> None:
        # .flac, .webp, .webm and .wav get their real types wherever files are stored/served.
        from hitrecord.media import register_media_types

        register_media_types()

        # The deploy checks register themselves on import; Django admin's login is
        # throttled like every other way of signing in.
        from django.contrib import admin

        from accounts.forms import AdminSignInForm
        from hitrecord import checks  # noqa: F401

        admin.site.login_form = AdminSignInForm
