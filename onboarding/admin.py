"""Django admin of the provider-wide SIEM settings (SPEC W2, W5, W6): the catalogue of log-source
types, the dashboards and reports offered, and the licence metric and storage prices (one row).
The portal has its own pages for the catalogue and prices (onboarding.siem.views)."""

from django.contrib import admin

from onboarding.models import DashboardOffer, LogSourceType, SiemPricing


@admin.register(LogSourceType)
class LogSourceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "typical_eps_per_device", "average_event_bytes", "position", "active")
    list_editable = ("position", "active")
    list_filter = ("active",)
    search_fields = ("name", "description")


@admin.register(DashboardOffer)
class DashboardOfferAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "position", "active")
    list_editable = ("position", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "description")


@admin.register(SiemPricing)
class SiemPricingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "licence_metric", "licence_unit", "price_hot", "price_warm")

    def has_add_permission(self, request) -> bool:
        # One row (SiemPricing.current()): edited, never added twice.
        return not SiemPricing.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
