"""The questions of the purpose meeting (SPEC W1) and the sections of the alignment charter
(W3), in their order, with the labels every page, form, API and PDF shows."""

from django.utils.translation import gettext_lazy as _

PURPOSE_QUESTIONS = (
    ("why", _("Why a SIEM?")),
    ("what_for", _("What will it be used for?")),
    ("challenges", _("Which challenges should it solve?")),
    ("legal_reporting", _("Which legal reporting duties apply?")),
    ("gdpr_data", _("How is GDPR-sensitive data handled?")),
    ("operated_by", _("Who operates it?")),
    ("management_reporting", _("How is management reported to?")),
)
PURPOSE_KEYS = tuple(key for key, _label in PURPOSE_QUESTIONS)

CHARTER_SECTIONS = (
    ("purpose", _("Purpose")),
    ("process", _("Process")),
    ("scope_in", _("Scope: what is in")),
    ("scope_out", _("Scope: what is explicitly out")),
    ("content", _("Content and deliverables")),
    ("estimates", _("Estimates")),
    ("timeline", _("Timeline")),
    ("prerequisites", _("Prerequisites")),
    ("risks", _("Risks")),
    ("organisation", _("Organisation and roles")),
    ("economics", _("Economics")),
)
CHARTER_KEYS = tuple(key for key, _label in CHARTER_SECTIONS)
# Sections a charter cannot do without: the scope, in and explicitly out (W3).
CHARTER_REQUIRED = ("scope_in", "scope_out")
TEXT_MAX = 10_000


def labelled(answers: dict, questions: tuple) -> list[tuple[str, str, str]]:
    """(key, label, answer) in the questionnaire's order, for display."""
    return [(key, str(label), str(answers.get(key, "") or "")) for key, label in questions]
