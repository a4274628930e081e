"""Reads of the customer prerequisites (SPEC O2). Scoped managers: another organisation's
objects are a 404, the same as missing ones."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organisation
from onboarding.models import ListedUser, Logo, UserListUpload, WhitelistingConfirmation
from onboarding.userlist.validator import NAMES


def current_list(*, organisation: Organisation) -> dict[str, dict[str, str]]:
    """The current list by e-mail address, as the validator's rows (one query)."""
    return {
        row["email"]: row
        for row in ListedUser.objects.filter(organisation=organisation).values(*NAMES)
    }


def listed_users(*, organisation: Organisation) -> QuerySet[ListedUser]:
    return ListedUser.objects.filter(organisation=organisation).order_by(
        "last_name", "first_name", "email"
    )


def uploads(*, organisation: Organisation) -> QuerySet[UserListUpload]:
    return UserListUpload.objects.filter(organisation=organisation).select_related(
        "uploaded_by", "applied_by"
    )


def upload_get(*, upload_id: int) -> UserListUpload:
    return get_object_or_404(
        UserListUpload.objects.select_related("organisation", "uploaded_by", "applied_by"),
        pk=upload_id,
    )


def logos(*, organisation: Organisation) -> dict[str, Logo]:
    return {logo.variant: logo for logo in Logo.objects.filter(organisation=organisation)}


def logo_get(*, logo_id: int) -> Logo:
    return get_object_or_404(Logo.objects.all(), pk=logo_id)


def whitelisting(*, organisation: Organisation) -> WhitelistingConfirmation | None:
    return (
        WhitelistingConfirmation.objects.filter(organisation=organisation)
        .select_related("confirmed_by", "technical_notes_by")
        .first()
    )
