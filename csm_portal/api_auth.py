"""Authentication, role permission and throttling of the REST API.

Kept apart from csm_portal.api because DRF imports these classes while it is itself being
imported (its settings), so this module must not import rest_framework.views.
"""

from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer csm_…``; the token was resolved by ApiTokenMiddleware."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        django_request: HttpRequest = request._request
        error = getattr(django_request, "api_token_error", None)
        if error:
            raise exceptions.AuthenticationFailed(error)
        token = getattr(django_request, "api_token", None)
        if token is None:
            return None
        return django_request.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class RolePermission(permissions.BasePermission):
    """A view names ``read_roles`` and ``write_roles``. Other roles get 404, as for a foreign
    object (SPEC T1). A reader who tries to write gets 403, but on a single object only after the
    scoped lookup, so a foreign id is still a 404 and never confirms that it exists. A method the
    route does not have is a 405 for everybody signed in: it says nothing about any object."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # DRF's dispatch answers 405 Method Not Allowed
        role = request._request.tenancy.role
        read_roles = getattr(view, "read_roles", ())
        write_roles = getattr(view, "write_roles", ())
        if role not in read_roles and role not in write_roles:
            raise exceptions.NotFound
        is_object_route = getattr(view, "lookup_url_kwarg", None) or "pk"
        if (
            request.method not in permissions.SAFE_METHODS
            and role not in write_roles
            and is_object_route not in view.kwargs
        ):
            raise exceptions.PermissionDenied
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return request._request.tenancy.role in getattr(view, "write_roles", ())


def require_role(request: Request, *roles: str) -> None:
    """An action of a resource open to more roles than may do it: 403, called after the scoped
    lookup, so a foreign id is already a 404 (SPEC T1)."""
    if request._request.tenancy.role not in roles:
        raise exceptions.PermissionDenied


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (or per signed-in user, or per address when anonymous)."""

    scope = "api"

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = getattr(request._request, "api_token", None)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
