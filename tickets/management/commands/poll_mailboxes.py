from dataclasses import asdict

from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from tickets.mailbox import poll_all


class Command(BaseCommand):
    help = "Poll every active support mailbox once (what the beat task does every minute)."

    def handle(self, *args: object, **options: object) -> None:
        with scopes_disabled():
            for report in poll_all():
                self.stdout.write(str(asdict(report)))
