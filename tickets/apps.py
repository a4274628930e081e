from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tickets.deletion import register_steps

        # SPEC L3: what the day-90 deletion removes of an organisation here.
        register_steps()
        from tickets.cockpit import register as register_cockpit  # issue 14: home pages

        register_cockpit()

        from tickets.timeline import register_timeline

        # Issue 14: what the customer-360 shows of an organisation from here.
        register_timeline()

        # Issue 15: the cached reference data forgets itself when its rows change.
        from tickets import reference  # noqa: F401
