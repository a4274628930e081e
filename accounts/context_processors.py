from django.http import HttpRequest

from accounts.tenancy import NOBODY


def portal(request: HttpRequest) -> dict:
    """The user's tenancy for the navigation (role-dependent menus)."""
    return {"tenancy": getattr(request, "tenancy", NOBODY)}
