"""Django admin is for provider admins who have signed in with MFA, nobody else."""

from types import MethodType

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from accounts.roles import Role


def _has_permission(self: AdminSite, request: HttpRequest) -> bool:
    tenancy = getattr(request, "tenancy", None)
    return bool(
        request.user.is_active
        and request.user.is_staff
        and tenancy is not None
        and tenancy.role == Role.PROVIDER_ADMIN
    )


def restrict_admin_to_provider_admins(site: AdminSite) -> None:
    site.has_permission = MethodType(_has_permission, site)  # type: ignore[method-assign]
    site.site_header = "CSM Portal"
    site.site_title = "CSM Portal"
    site.login_url = "/accounts/login/"  # type: ignore[attr-defined]
