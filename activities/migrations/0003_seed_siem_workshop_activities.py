"""Seed the activities of the SIEM workshop meetings (SPEC W1–W6, H3): one per topic of the
series, offered, with their minimums; names in Italian, English, French and Spanish. Existing
codes are left as admins edited them."""

from django.db import migrations


def seed(apps, schema_editor):
    from activities.catalogue_seed import SIEM_WORKSHOPS

    Activity = apps.get_model("activities", "Activity")
    for row in SIEM_WORKSHOPS:
        Activity.objects.get_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    from activities.catalogue_seed import SIEM_WORKSHOPS

    Activity = apps.get_model("activities", "Activity")
    Activity.objects.filter(
        code__in=[row["code"] for row in SIEM_WORKSHOPS], requests=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_seed_catalogue")]

    operations = [migrations.RunPython(seed, unseed)]
