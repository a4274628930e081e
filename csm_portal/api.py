"""The REST API frame (/api/v1/): error format, paging, strict input and the OpenAPI description.

Same rules as the browser: the tenant scope is opened by ``accounts.middleware.TenantMiddleware``
for token requests too (``ApiTokenMiddleware`` resolves the token before it), and views call the
same services and selectors as the pages. Authentication and permissions: csm_portal.api_auth.

Input is strict: what the OpenAPI contract calls a string, a boolean or an id must be one, and a
query parameter that cannot be applied is a 400, never silently ignored (a sync client that sends
``?updated_since=`` with an empty variable must not quietly get everything). The contract's
error answers are documented in csm_portal.api_urls; ``tests/test_api_fuzz.py`` holds the API
to the contract.

This module is imported by DRF's own settings (the paginator) while DRF is still loading: it must
not import drf_spectacular.openapi or rest_framework.generics.
"""

import re
from datetime import UTC
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_filters import fields as filter_fields
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import pagination, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "csm_portal.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "Personal API token (csm_…)"}


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """Every 400 is the same ``field → messages`` JSON object: a service's Django
    ValidationError, and DRF's own list-shaped errors (e.g. a NUL byte in ``?search=``), become
    ``non_field_errors`` when they name no field."""
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
    elif isinstance(exc, ValidationError) and not isinstance(exc.detail, dict):
        detail = exc.detail if isinstance(exc.detail, list) else [exc.detail]
        exc = ValidationError({"non_field_errors": detail})
    return exception_handler(exc, context)


# --- paging -----------------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (1 to 200). A bad page size is a 400: DRF would quietly
    fall back to the default size."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            if not re.fullmatch(r"[0-9]+", raw):
                field.fail("invalid")
            return field.run_validation(raw)
        except ValidationError as exc:
            raise ValidationError({self.page_size_query_param: exc.detail}) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


# --- strict input -----------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A JSON string, nothing else (DRF would store the number 12 as "12")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` (DRF would also take "yes", "on", 1, "0" …)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An integer id (DRF would also take the string "12")."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with the strict fields above for the model fields it generates."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField


class IsoDateTimeField(filter_fields.IsoDateTimeField):
    """An ISO 8601 date-time, handed to the database in UTC: PostgreSQL refuses offsets beyond
    ±15:59 that Python parses, and a date-time at the edge of the calendar must be a 400."""

    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid") from None


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = IsoDateTimeField


class BooleanFormField(forms.Field):
    """``true`` or ``false``; django-filter's boolean widget turns anything else into "no
    filter", so ``?is_active=yes`` would quietly list everything."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise DjangoValidationError(
            str(serializers.BooleanField.default_error_messages["invalid"]), code="invalid"
        )


class BooleanFilter(filters.BooleanFilter):
    field_class = BooleanFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """A filter sent with an empty value is a 400, not "no filter"."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        blank = serializers.CharField.default_error_messages["blank"]
        for name in self.filters:
            if name in self.data and "" in self.data.getlist(name):
                self.form.add_error(name, str(blank))
                valid = False
        return valid
