"""Authentication, role permission and throttling of the REST API.

Kept apart from csm_portal.api because DRF imports these classes while it is itself being
imported (its settings), so this module must not import rest_framework.views.
"""

import secrets
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


# The sliding window of a throttle key in one round trip (issue 15): DRF's SimpleRateThrottle
# reads the whole history (up to the rate's number of instants, pickled) and writes it back, two
# round trips per request. Here the history is a Redis sorted set, trimmed, counted and appended
# by one script, atomically: the same rule (requests in the last ``duration`` seconds; a refused
# request is not counted), and concurrent requests no longer overwrite each other's instants.
_WINDOW_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2] or ''}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, ''}
"""


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (or per signed-in user, or per address when anonymous)."""

    scope = "api"
    # A sorted set, not DRF's pickled list: another key, so the two never meet.
    cache_format = "throttle-window_%(scope)s_%(ident)s"
    _script: Any = None

    def allow_request(self, request: Request, view: Any) -> bool:
        client_of = getattr(getattr(self.cache, "_cache", None), "get_client", None)
        if self.rate is None or client_of is None:
            return super().allow_request(request, view)  # a cache that is not Redis
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        key = self.cache.make_and_validate_key(self.key)
        client = client_of(key, write=True)
        if TokenRateThrottle._script is None:
            TokenRateThrottle._script = client.register_script(_WINDOW_SCRIPT)
        self.now, self.history = self.timer(), []
        allowed, oldest = self._script(
            client=client,
            keys=[key],
            args=[
                repr(self.now),
                self.duration,
                self.num_requests,
                f"{self.now!r}:{secrets.token_hex(4)}",
            ],
        )
        self.oldest = float(oldest) if not int(allowed) and oldest else None
        return bool(int(allowed))

    def wait(self) -> float | None:
        oldest = getattr(self, "oldest", None)
        if oldest is None:
            return super().wait()
        return max(self.duration - (self.now - oldest), 0.0)

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = getattr(request._request, "api_token", None)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
