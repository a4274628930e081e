from django.urls import path

from accounts import branding, customer360, exports, views

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path(
        "organisations/<int:organisation_id>/",
        views.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "organisations/<int:organisation_id>/360/",
        customer360.customer_360,
        name="customer_360",
    ),
    path(
        "organisations/<int:organisation_id>/edit/",
        views.organisation_edit,
        name="organisation_edit",
    ),
    path("organisations/<int:organisation_id>/invite/", views.person_invite, name="person_invite"),
    path(
        "organisations/<int:organisation_id>/assign/",
        views.assignment_create,
        name="assignment_create",
    ),
    path("assignments/<int:assignment_id>/end/", views.assignment_end, name="assignment_end"),
    path("people/", views.people_list, name="people_list"),
    path("people/export/", exports.people_export, name="people_export"),
    path(
        "organisations/<int:organisation_id>/people/export/",
        exports.organisation_people_export,
        name="organisation_people_export",
    ),
    path("people/<int:membership_id>/", views.person_detail, name="person_detail"),
    path("people/<int:membership_id>/active/", views.person_set_active, name="person_set_active"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path(
        "invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("welcome/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/branding/", branding.branding_edit, name="provider_branding"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.api_token_create, name="api_token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("language/", views.set_language, name="set_language"),
]
