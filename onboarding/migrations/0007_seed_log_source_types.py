"""Seed the catalogue of log-source types (SPEC W2) with typical figures; names already present
are left as admins edited them."""

from django.db import migrations


def seed(apps, schema_editor):
    from onboarding.siem.catalogue_seed import rows

    LogSourceType = apps.get_model("onboarding", "LogSourceType")
    for row in rows():
        LogSourceType.objects.get_or_create(name=row["name"], defaults=row)


def unseed(apps, schema_editor):
    from onboarding.siem.catalogue_seed import rows

    apps.get_model("onboarding", "LogSourceType").objects.filter(
        name__in=[row["name"] for row in rows()]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0006_dashboard_catalogue_seed")]

    operations = [migrations.RunPython(seed, unseed)]
