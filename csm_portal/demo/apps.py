from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "csm_portal.demo"
    label = "demo"
    verbose_name = "Demo data"
