# Issue 15: the cockpit's "last contact" per customer is one step down this index per
# organisation. Built concurrently: the messages table is the largest of the portal.

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0005_user_email_upper_index"),
        ("tickets", "0007_tickets_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="ticketmessage",
            index=models.Index(
                condition=models.Q(("direction", "out")),
                fields=["organisation", "-created_at"],
                name="ticketmessage_org_last_reply",
            ),
        ),
    ]
