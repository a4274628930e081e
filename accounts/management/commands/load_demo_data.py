from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, load_demo_data


class Command(BaseCommand):
    help = "Load the demo provider and customers (idempotent) and print their logins."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--force", action="store_true", help="Allow outside DEBUG (never in production)."
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is for development only (DEBUG is off).")
        logins = load_demo_data()
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.email:40} {login.role:22} {login.organisation}")
        self.stdout.write(
            "\nProvider staff sign in with a TOTP code as their second factor:\n"
            "  .venv/bin/python manage.py demo_totp <email>   prints the current code\n"
            "  (or add the secret to an authenticator app:)"
        )
        for login in logins:
            if login.totp_secret:
                self.stdout.write(f"  {login.email:40} {login.totp_secret}")
