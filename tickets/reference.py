"""Small reference data of the desk kept in the cache (Redis) between requests (issue 15): the
reply box's canned responses and the update form's choice of owners. Every ticket page showed
them with a query each although they change a few times a year. Each entry is forgotten when
what it is made of is saved or deleted (the receivers below, now and again after the commit, so
a page rendered in between does not keep the old one), and after an hour in case a bulk update
changed it without signals. Keys name the database (one Redis may serve several)."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Membership, User
from tickets.models import CannedResponse

ENTRY_SECONDS = 3600
TITLE_FIELDS = tuple(f"title_{language}" for language in CannedResponse.LANGUAGES)


def canned_key() -> str:
    return f"tickets:canned-picker:v1:{connection.settings_dict['NAME']}"


def owners_key() -> str:
    return f"tickets:owner-choices:v1:{connection.settings_dict['NAME']}"


@dataclass(frozen=True)
class CannedTitle:
    """What the reply box's picker shows of a canned response: its id and titles."""

    pk: int
    titles: dict

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.titles["it"]


def canned_picker() -> list[CannedTitle]:
    """The active canned responses in the picker's order (``selectors.canned_responses``)."""
    entries = cache.get(canned_key())
    if entries is None:
        from tickets.selectors import canned_responses

        entries = [
            CannedTitle(pk=row["pk"], titles={f[6:]: row[f] for f in TITLE_FIELDS})
            for row in canned_responses().values("pk", *TITLE_FIELDS)
        ]
        cache.set(canned_key(), entries, ENTRY_SECONDS)
    return entries


def owner_choices(field) -> list[tuple[str, str]]:
    """The owner select's options, as the form's ModelChoiceField renders them (empty label,
    then each desk person's id and label). Validation still reads the database."""
    choices = cache.get(owners_key())
    if choices is None:
        choices = [(str(value), str(label)) for value, label in field.choices]
        cache.set(owners_key(), choices, ENTRY_SECONDS)
    return choices


def _forget(key: str) -> None:
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(post_save, sender=CannedResponse, dispatch_uid="tickets.reference.canned.save")
@receiver(post_delete, sender=CannedResponse, dispatch_uid="tickets.reference.canned.delete")
def _canned_changed(**kwargs: object) -> None:
    _forget(canned_key())


@receiver(post_save, sender=User, dispatch_uid="tickets.reference.owners.user.save")
@receiver(post_delete, sender=User, dispatch_uid="tickets.reference.owners.user.delete")
@receiver(post_save, sender=Membership, dispatch_uid="tickets.reference.owners.member.save")
@receiver(post_delete, sender=Membership, dispatch_uid="tickets.reference.owners.member.delete")
def _people_changed(update_fields=None, **kwargs: object) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a sign-in changes no owner's name, role or state
    _forget(owners_key())
