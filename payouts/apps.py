from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from payouts.guard import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="payouts-guard")

        from accounts.services import ANONYMISE_HOOKS
        from payouts.payee import payee_redact_for

        if payee_redact_for not in ANONYMISE_HOOKS:
            ANONYMISE_HOOKS.append(payee_redact_for)
