"""Plumbing shared by the server-rendered views of every app."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

PAGE_SIZE = 25


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with settings.CONTENT_SECURITY_POLICY, except on ReDoc's page:
    ReDoc styles itself with inline <style> elements created at run time, which no nonce covers,
    so that one page (our own API schema, no user content) may apply inline styles and start its
    search worker from a blob. Its scripts stay as strict as everywhere."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path == reverse("api-redoc"):
            parts.replace = {
                **(parts.replace or {}),
                "style-src": [SELF, UNSAFE_INLINE],
                "worker-src": [SELF, "blob:"],  # its search index runs in a worker
            }
        return parts


def role_required(*roles: str) -> Callable:
    """Anonymous users go to sign-in; signed-in users without one of ``roles`` get a 404, the
    same answer as for something that does not exist (SPEC T1: never confirm existence)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles and request.tenancy.role not in roles:  # type: ignore[attr-defined]
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: fields' errors on them, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def paginate(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


NOT_DONE = object()  # what submit() returns when nothing was done


def submit(request: HttpRequest, form: forms.Form, action: Callable[[dict], Any]) -> Any:
    """On a valid POST, call ``action`` (a service) with the cleaned data and return its result.
    Otherwise, or when the service refuses the input, return ``NOT_DONE`` with the service's
    errors on the form: the page is shown again and nothing was written."""
    if request.method != "POST" or not form.is_valid():
        return NOT_DONE
    try:
        return action(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return NOT_DONE
