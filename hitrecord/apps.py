from django.apps import AppConfig


class HitrecordConfig(AppConfig):
    name = "hitrecord"
    verbose_name = "hitrecord plumbing"

    def ready(self) -> None:
        # .flac, .webp, .webm and .wav get their real types wherever files are stored/served.
        from hitrecord.media import register_media_types

        register_media_types()
