from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"

    def ready(self) -> None:
        # The media view (in hitrecord, the bottom layer) cannot import this app; it asks
        # the policy registered here who may fetch a contribution's file or thumbnail.
        from contributions.access import media_policy
        from hitrecord.media_access import register_media_policy

        register_media_policy("contributions/", media_policy)
