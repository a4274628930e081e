"""The REST API frame (/api/v1/): error format, paging and the OpenAPI description of tokens.

Same rules as the browser: the tenant scope is opened by ``accounts.middleware.TenantMiddleware``
for token requests too (``ApiTokenMiddleware`` resolves the token before it), and views call the
same services and selectors as the pages. Authentication and permissions: csm_portal.api_auth.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "csm_portal.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "Personal API token (csm_…)"}


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """A service's Django ValidationError becomes the same ``field → messages`` JSON as DRF's."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = ValidationError(
                {
                    ("non_field_errors" if field == "__all__" else field): messages
                    for field, messages in exc.message_dict.items()
                }
            )
        else:
            exc = ValidationError({"non_field_errors": exc.messages})
    return exception_handler(exc, context)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
