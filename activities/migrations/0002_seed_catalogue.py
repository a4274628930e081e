"""Seed the catalogue with the 18 activities of the SPEC table (names and descriptions in
Italian, English, French and Spanish). Existing codes are left as admins edited them."""

from django.db import migrations


def seed(apps, schema_editor):
    from activities.catalogue_seed import CATALOGUE

    Activity = apps.get_model("activities", "Activity")
    for row in CATALOGUE:
        Activity.objects.get_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    from activities.catalogue_seed import CATALOGUE

    Activity = apps.get_model("activities", "Activity")
    Activity.objects.filter(code__in=[row["code"] for row in CATALOGUE], requests=None).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_catalogue_requests")]

    operations = [migrations.RunPython(seed, unseed)]
