from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from accounts import services
from accounts.models import (
    CstmAssignment,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    SecurityEvent,
    User,
)


class DomainInline(admin.TabularInline):
    model = OrganisationDomain
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "language", "is_active", "created_at")
    list_filter = ("kind", "is_active", "language")
    search_fields = ("name", "domains__domain")
    inlines = [DomainInline]


class PasswordChangeForm(AdminPasswordChangeForm):
    """An admin setting somebody's password also revokes their API tokens (SPEC T4)."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            services.api_tokens_revoke_all(user=user)
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = PasswordChangeForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "language", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "language")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "agent_level")
    list_filter = ("role", "agent_level")
    search_fields = ("user__email", "organisation__name")


@admin.register(CstmAssignment)
class CstmAssignmentAdmin(admin.ModelAdmin):
    list_display = ("organisation", "cstm", "kind", "starts_on", "ends_on")
    list_filter = ("kind",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "created_at", "expires_at", "accepted_at", "revoked_at")
    exclude = ("token_hash",)
    readonly_fields = ("created_at",)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "identifier", "ip_address")
    list_filter = ("kind",)
    search_fields = ("identifier",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
