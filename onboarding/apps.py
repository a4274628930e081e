from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from onboarding.deletion import register_steps

        # SPEC L3: what the day-90 deletion removes of an organisation here.
        register_steps()
        from onboarding.cockpit import register as register_cockpit  # issue 14: home pages

        register_cockpit()

        from onboarding.timeline import register_timeline

        # Issue 14: what the customer-360 shows of an organisation from here.
        register_timeline()
