from django.urls import path

from onboarding.userlist import views

urlpatterns = [
    path("onboarding/user-list/template.csv", views.template_download, name="user_list_template"),
    path("organisations/<int:organisation_id>/user-list/", views.user_list, name="user_list"),
    path(
        "organisations/<int:organisation_id>/user-list/export.csv",
        views.user_list_export,
        name="user_list_export",
    ),
    path("user-lists/<int:upload_id>/", views.upload_detail, name="user_list_upload"),
    path("user-lists/<int:upload_id>/apply/", views.upload_apply, name="user_list_apply"),
    path("user-lists/<int:upload_id>/file/", views.upload_file, name="user_list_file"),
    path("organisations/<int:organisation_id>/logos/", views.logos, name="onboarding_logos"),
    path("logos/<int:logo_id>/file/", views.logo_file, name="logo_file"),
    path(
        "organisations/<int:organisation_id>/whitelisting/",
        views.whitelisting,
        name="onboarding_whitelisting",
    ),
]
