"""A default set of SLA policies (targets in support minutes, SPEC S5), for admins to adjust."""

from django.db import migrations

# (type, priority, first response, resolution) in support minutes (a support day is 540).
DEFAULTS = [
    ("incident", "urgent", 60, 540),
    ("incident", "high", 120, 1080),
    ("incident", "normal", 240, 1620),
    ("incident", "low", 480, 2700),
    ("service_request", "urgent", 120, 1080),
    ("service_request", "high", 240, 1620),
    ("service_request", "normal", 480, 2700),
    ("service_request", "low", 960, 4320),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for ticket_type, priority, first, resolution in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            ticket_type=ticket_type,
            priority=priority,
            contract=None,
            defaults={
                "name": f"{ticket_type.replace('_', ' ').capitalize()} · {priority}",
                "first_response_minutes": first,
                "resolution_minutes": resolution,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_service_desk")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
