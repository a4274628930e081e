"""Django admin of onboarding's provider-wide settings."""

from django.contrib import admin

from onboarding.models import DashboardOffer

# --- SIEM W6: the catalogue of dashboards and reports proposed (siem-projects) ---------------


@admin.register(DashboardOffer)
class DashboardOfferAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "position", "active")
    list_filter = ("kind", "active")
    list_editable = ("position", "active")
    search_fields = ("name", "description")
    ordering = ("kind", "position", "name")


# --- end of SIEM W6 --------------------------------------------------------------------------
