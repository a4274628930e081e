"""The summary the SIEM workshop's hub shows of its projects, operations model and dashboards
(``templates/onboarding/siem/projects/panel.html``)."""

from django import template

from onboarding.models import SiemWorkshop
from onboarding.siem.projects import selectors

register = template.Library()


@register.simple_tag
def siem_projects_summary(workshop: SiemWorkshop) -> dict:
    return selectors.summary_of(workshop)
