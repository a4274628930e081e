import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from csm_portal.demo.data import demo_totp_secret


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (development only)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("email")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo codes are for development only (DEBUG is off).")
        secret = demo_totp_secret(str(options["email"]))
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
