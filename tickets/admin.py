from django import forms
from django.contrib import admin

from tickets.mailbox import mailbox_set_password
from tickets.models import InboundMessage, Mailbox, SlaPolicy, Ticket


class MailboxForm(forms.ModelForm):
    """The password is written encrypted and never shown back."""

    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current one (or use an environment variable).",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "host",
            "port",
            "use_tls",
            "username",
            "password_env",
            "trusted_authserv_id",
            "folder",
            "processed_folder",
            "failed_folder",
            "active",
        ]

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("password"):
            mailbox_set_password(mailbox, self.cleaned_data["password"])
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "host", "active", "last_polled_at", "last_error")
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "ticket_type",
        "priority",
        "contract",
        "first_response_minutes",
        "resolution_minutes",
    )
    list_filter = ("ticket_type", "priority")


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Received messages are evidence: read-only here, triaged in the portal."""

    list_display = (
        "received_at",
        "from_address",
        "subject",
        "outcome",
        "authentication",
        "reason",
    )
    list_filter = ("outcome", "authentication")
    search_fields = ("from_address", "subject")
    exclude = ("raw",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "organisation", "subject", "status", "level", "resolution_due")
    list_filter = ("status", "level", "type")
    search_fields = ("number", "subject")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
