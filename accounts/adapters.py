from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people are invited by an admin or a CSTM."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
