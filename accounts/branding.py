"""The provider's name and logo on statements (issue 14): admins keep them on one page; the
statement PDF (activities) asks ``letterhead()`` for what to print."""

import base64
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from accounts.models import (
    LOGO_FORMATS,
    LOGO_MAX_BYTES,
    Organisation,
    ProviderBranding,
    User,
    validate_logo,
)
from accounts.roles import Role
from csm_portal.files import delete_file_on_rollback, files_removed_on_failure
from csm_portal.web import NOT_DONE, role_required, submit


def provider_branding() -> ProviderBranding:
    """The branding row, or an unsaved empty one before an admin has set it."""
    return ProviderBranding.objects.filter(pk=ProviderBranding.SINGLETON).first() or (
        ProviderBranding()
    )


@dataclass(frozen=True)
class Letterhead:
    name: str
    # The logo inlined as a data: URI, so the PDF renderer reads no file or URL of its own.
    logo_src: str = ""


def letterhead() -> Letterhead:
    """What a statement prints at its top: the configured name (else the provider
    organisation's) and the logo, if any."""
    branding = provider_branding()
    name = branding.name
    if not name:
        with scopes_disabled():
            provider = (
                Organisation.objects.filter(kind=Organisation.Kind.PROVIDER).order_by("pk").first()
            )
        name = provider.name if provider else ""
    logo_src = ""
    if branding.logo:
        try:
            with branding.logo.open("rb") as handle:
                content = handle.read(LOGO_MAX_BYTES + 1)
        except OSError:
            content = b""  # a missing file: the statement goes out without the logo
        if content:
            encoded = base64.b64encode(content).decode()
            logo_src = f"data:{branding.logo_type or 'image/png'};base64,{encoded}"
    return Letterhead(name=name, logo_src=logo_src)


def provider_branding_update(
    *, name: str, logo: object | None, remove_logo: bool, by: User
) -> ProviderBranding:
    """Admins set the name and logo printed on statements. The logo is checked by content
    (PNG or JPEG, ≤ 1 MB) and stored under a random name; the previous file is removed once
    the change is committed. Invalid input writes nothing."""
    if logo is not None:
        validate_logo(logo)
    with files_removed_on_failure(), transaction.atomic():
        branding = (
            ProviderBranding.objects.select_for_update().filter(pk=ProviderBranding.SINGLETON)
        ).first() or ProviderBranding(pk=ProviderBranding.SINGLETON)
        previous = branding.logo.name if branding.logo else ""
        branding.name = name.strip()
        branding.updated_by = by
        if logo is not None:
            from PIL import Image

            logo.seek(0)  # type: ignore[attr-defined]
            with Image.open(logo) as image:  # type: ignore[arg-type]
                branding.logo_type = LOGO_FORMATS[image.format]
            logo.seek(0)  # type: ignore[attr-defined]
            branding.logo.save("logo", logo, save=False)  # type: ignore[arg-type]
            delete_file_on_rollback(branding.logo)
        elif remove_logo:
            branding.logo = ""
            branding.logo_type = ""
        branding.full_clean(exclude=["logo"])
        branding.save()
        if previous and previous != branding.logo.name:
            storage = branding.logo.storage
            transaction.on_commit(lambda: storage.delete(previous))
    return branding


class BrandingForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Provider name on statements"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Empty: the provider organisation's name."),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo (PNG or JPEG, at most 1 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        if logo:
            validate_logo(logo)
        return logo or None


@role_required(Role.PROVIDER_ADMIN)
def branding_edit(request: HttpRequest) -> HttpResponse:
    branding = provider_branding()
    form = BrandingForm(
        request.POST or None, request.FILES or None, initial={"name": branding.name}
    )
    done = submit(
        request,
        form,
        lambda data: provider_branding_update(
            name=data["name"], logo=data["logo"], remove_logo=data["remove_logo"], by=request.user
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Saved: new statements carry this name and logo."))
        return redirect("provider_branding")
    return render(
        request,
        "accounts/branding.html",
        {"form": form, "branding": branding, "letterhead": letterhead()},
    )
