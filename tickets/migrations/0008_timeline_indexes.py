# Issue 15: the customer-360's timeline (open tickets by deadline; replies and acknowledgements
# newest first) and the cockpit's "last contact" (a customer's last reply, one step down
# ticketmsg_timeline_org per organisation). Built concurrently: the messages table is the
# largest of the portal, and a plain CREATE INDEX would block the mailbox while it builds.

from csm_portal.migration_ops import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0007_tickets_list_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "waiting"))),
                fields=["organisation", "resolution_due", "-created_at"],
                name="ticket_timeline_open_due",
            ),
        ),
        AddIndexConcurrently(
            model_name="ticketmessage",
            index=models.Index(
                condition=models.Q(("direction__in", ("out", "auto"))),
                fields=["organisation", "direction", "-created_at", "-id"],
                name="ticketmsg_timeline_org",
            ),
        ),
    ]
