"""A first draft of the alignment charter (SPEC W3) from what the workshop already knows: the
purpose answers (W1), the sizing (W2) and the retention decision (W5). The CSTM edits it; once
a charter is recorded, its own texts are shown instead."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from onboarding.models import SiemWorkshop
from onboarding.siem.charter import pdf
from onboarding.siem.charter.sections import CHARTER_KEYS


def _figure(value: object, places: int = 2) -> str:
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def _join(*parts: str) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def charter_draft(workshop: SiemWorkshop) -> dict[str, str]:
    if workshop.charter_recorded_at is not None:
        return {key: str((workshop.charter or {}).get(key, "")) for key in CHARTER_KEYS}
    purpose = workshop.purpose or {}
    context = pdf.sizing_context(workshop)
    draft = dict.fromkeys(CHARTER_KEYS, "")
    draft["purpose"] = _join(
        purpose.get("why", ""), purpose.get("what_for", ""), purpose.get("challenges", "")
    )
    draft["organisation"] = _join(
        purpose.get("operated_by", ""), purpose.get("management_reporting", "")
    )
    draft["risks"] = _join(purpose.get("gdpr_data", ""), purpose.get("legal_reporting", ""))
    if context["sources"]:
        draft["scope_in"] = "\n".join(
            _("%(name)s: %(devices)s devices")
            % {"name": row["source"].name, "devices": row["source"].devices}
            for row in context["sources"]
        )
    if context.get("sizing") is not None:
        s = context["sizing"]
        draft["estimates"] = _(
            "%(eps)s events per second sustained (%(peak)s at peak), %(raw)s GB of raw data a "
            "day; %(storage)s GB of storage for %(months)s months on %(nodes)s data nodes; "
            "%(licences)s licences."
        ) % {
            "eps": _figure(s.sustained_eps),
            "peak": _figure(s.peak_eps),
            "raw": _figure(context["raw_gb"]),
            "storage": _figure(context["storage_gb"]),
            "months": context["months"],
            "nodes": s.data_nodes,
            "licences": context["licences"],
        }
    decision, point = context.get("decision"), context.get("decision_point")
    if decision is not None and point is not None:
        draft["economics"] = _(
            "Retention decided on %(date)s: %(months)s months, %(storage)s GB of storage at "
            "%(cost)s %(currency)s a month (prices of that day)."
        ) % {
            "date": formats.date_format(decision.decided_on, "SHORT_DATE_FORMAT"),
            "months": decision.months,
            "storage": _figure(point["storage_gb"]),
            "cost": _figure(point["monthly_cost"]),
            "currency": context["decision_currency"],
        }
    return draft
