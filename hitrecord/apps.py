from django.apps import AppConfig


class HitrecordConfig(AppConfig):
    name = "hitrecord"
    verbose_name = "hitrecord plumbing"
