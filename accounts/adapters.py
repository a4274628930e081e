from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import User
from accounts.tenancy import customer_is_closed


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up (people are invited); no sign-in for a closed customer (SPEC C5); a new
    password revokes the person's API tokens (SPEC T4); account mail goes out in the
    recipient's language (SPEC S8), whatever the language of the page that triggered it."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        person = User.objects.filter(email__iexact=email).only("language").first()
        language = person.language if person and person.language else translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def set_password(self, user: User, password: str) -> None:
        # allauth's password change, reset and "set password" all come here.
        services.user_set_password(user=user, password=password)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_login(
        self, request: HttpRequest, user: object, **kwargs: object
    ) -> HttpResponse | None:
        if customer_is_closed(user):
            messages.error(
                request,
                _("The service for your organisation has ended: the customer area is closed."),
            )
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)
