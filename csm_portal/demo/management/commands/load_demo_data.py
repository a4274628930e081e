from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from csm_portal.demo.data import load_demo_data
from csm_portal.demo.management.commands.demo_logins import logins_text


class Command(BaseCommand):
    help = (
        "Load the demo provider and customers (idempotent). The e-mails this sends are written "
        "to files (var/mail/), summarised in one line; the logins are printed last."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--force", action="store_true", help="Allow outside DEBUG (never in production)."
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="Do not print the logins (`make run` prints them once the server is up).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is for development only (DEBUG is off).")
        mail_dir = Path(settings.EMAIL_FILE_PATH)
        mail_dir.mkdir(parents=True, exist_ok=True)
        before = set(mail_dir.iterdir())
        # The demo's e-mails go to files, so that they do not bury the logins.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend"):
            load_demo_data()
        written = len(set(mail_dir.iterdir()) - before)
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded.")
            + f" E-mails sent while loading: {written} (files in {mail_dir})."
        )
        if not options["no_logins"]:
            self.stdout.write("\n" + logins_text(), ending="")
