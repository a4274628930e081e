from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and organisations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Security-event logging only (no business logic): sign-ins, failures, MFA changes.
        from accounts import security  # noqa: F401
        from accounts.deletion import register_steps

        # SPEC L3: what the day-90 deletion removes of an organisation here.
        register_steps()

        from accounts.timeline import register_timeline

        # Issue 14: what the customer-360 shows of an organisation from here.
        register_timeline()

        from accounts import health_snapshots

        # Issue 15: the cockpit's stored ranking is marked stale by committed writes.
        health_snapshots.register()

        from accounts.signals import connect

        # Issue 15: cached tenancies are forgotten when what they were made of changes.
        connect()
