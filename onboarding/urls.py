from django.urls import include, path

urlpatterns = [
    path("", include("onboarding.plan.urls")),
    path("", include("onboarding.library.urls")),
    path("", include("onboarding.userlist.urls")),
    path("", include("onboarding.siem.charter.urls")),
    path("", include("onboarding.siem.projects.urls")),
    path("", include("onboarding.winback.urls")),
    path("", include("onboarding.siem.urls")),
]
