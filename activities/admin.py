from django.contrib import admin

from activities.models import Activity, ActivityRequest, Statement


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("position", "code", "name_it", "phase", "obligation", "minimum_hours", "active")
    list_display_links = ("code",)
    list_filter = ("phase", "obligation", "active")
    search_fields = ("code", "name_it", "name_en", "name_fr", "name_es")


@admin.register(ActivityRequest)
class ActivityRequestAdmin(admin.ModelAdmin):
    """Requests change only through the portal's services (rules H3–H8); here they are read."""

    list_display = ("pk", "organisation", "activity", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("organisation__name", "details")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ("number", "organisation", "hours_charged", "remaining_after", "issued_at")
    search_fields = ("number", "organisation__name")
    exclude = ("pdf",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
