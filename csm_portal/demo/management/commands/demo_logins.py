from django.core.management.base import BaseCommand

from csm_portal.demo.data import DEMO_PASSWORD, demo_logins


def logins_text() -> str:
    """The demo logins as `make run` prints them last, and as the README shows them (verbatim:
    tests/test_demo.py compares the two)."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD})"]
    logins = demo_logins()
    lines += [f"  {login.email:34} {login.role:16} {login.organisation}" for login in logins]
    lines += [
        "",
        "Provider staff also give a TOTP code (second factor): add the secret to an",
        "authenticator app, or print the current code with",
        "  .venv/bin/python manage.py demo_totp <email>",
    ]
    lines += [f"  {login.email:34} {login.totp_secret}" for login in logins if login.totp_secret]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the demo logins (accounts made by load_demo_data)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(logins_text(), ending="")
