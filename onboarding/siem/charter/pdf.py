"""The sizing sheet and the alignment charter as HTML rendered in the referent's language, then
PDF by WeasyPrint (SPEC W2, W3, W5). The HTML is what tests read; the PDF is what is published."""

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from onboarding.models import RetentionDecision, SiemPricing, SiemWorkshop
from onboarding.siem import sizing
from onboarding.siem.charter import frozen, selectors
from onboarding.siem.charter.sections import CHARTER_SECTIONS, PURPOSE_QUESTIONS, labelled
from onboarding.siem.inputs import sources_of

# The months of retention the documents tabulate, the decided one added.
CURVE_MONTHS = (1, 3, 6, 12, 24, 36, 48, 60)


def decision_context(decision: RetentionDecision | None) -> dict[str, Any]:
    """What a frozen decision says: its own figures at the chosen retention, never recomputed."""
    if decision is None:
        return {"decision": None}
    wanted = sorted({*CURVE_MONTHS, decision.months})
    return {
        "decision": decision,
        "decision_point": frozen.point_at(decision.curve, decision.months),
        "decision_currency": decision.inputs.get("currency", ""),
        "decision_rows": [p for p in decision.curve if p.get("months") in wanted],
    }


def sizing_context(workshop: SiemWorkshop) -> dict[str, Any]:
    """The sizing at the retention in force (the decision's, else the one discussed): sources
    with their volumes, tiers, licences and the Splunk comparison."""
    decision = selectors.decision_in_force(workshop)
    months = decision.months if decision else workshop.retention_months
    pricing = SiemPricing.current()
    sources = sources_of(workshop)
    result = selectors.sizing_now(workshop, months)
    context: dict[str, Any] = {
        "workshop": workshop,
        "months": months,
        "pricing": pricing,
        "sizing": result,
        "sources": [
            {
                "source": source,
                "eps": source.devices * source.eps_per_device,
                "gb_per_day": frozen.decimal_text(sizing.raw_gb_per_day([source])),
            }
            for source in sources
        ],
        **decision_context(decision),
    }
    if result is not None:
        context.update(
            {
                "tiers": frozen.sizing_rows(result),
                "licences": sizing.licences(
                    result, metric=pricing.licence_metric, unit=pricing.licence_unit
                ),
                "raw_gb": frozen.decimal_text(result.raw_gb_per_day),
                "indexed_gb": frozen.decimal_text(result.indexed_gb_per_day),
                "storage_gb": frozen.decimal_text(result.storage_gb),
                "data_gb": frozen.decimal_text(result.data_gb),
                "headroom_gb": frozen.decimal_text(result.headroom_gb),
                "splunk_gb": frozen.decimal_text(result.splunk_storage_gb),
                "retention_days": frozen.decimal_text(result.retention_days),
                "monthly_cost": frozen.decimal_text(
                    sum(
                        (
                            tier.storage_gb * pricing.prices()[name]
                            for name, tier in result.tiers.items()
                        ),
                        Decimal(0),
                    )
                ),
            }
        )
    return context


def _render(template: str, workshop: SiemWorkshop, language: str, **extra: Any) -> str:
    with translation.override(language):
        context = {
            **sizing_context(workshop),
            "organisation": workshop.organisation,
            "today": timezone.localdate(),
            **extra,
        }
        return render_to_string(template, context)


def sizing_sheet_html(workshop: SiemWorkshop, *, language: str) -> str:
    return _render("onboarding/siem/charter/sizing_sheet_pdf.html", workshop, language)


def charter_html(workshop: SiemWorkshop, *, language: str) -> str:
    with translation.override(language):
        sections = labelled(workshop.charter or {}, CHARTER_SECTIONS)
        purpose = labelled(workshop.purpose or {}, PURPOSE_QUESTIONS)
    return _render(
        "onboarding/siem/charter/charter_pdf.html",
        workshop,
        language,
        sections=sections,
        purpose=purpose,
    )


def pdf_of(html: str) -> bytes:
    from activities.services import render_pdf

    return render_pdf(html)
