from django.urls import path

from onboarding.plan import views

urlpatterns = [
    path("onboarding/plan/", views.plan_home, name="plan_home"),
    path("onboarding/plan/<int:organisation_id>/", views.plan_detail, name="plan_detail"),
    path("onboarding/plan/<int:organisation_id>/go-live/", views.go_live, name="plan_go_live"),
    path(
        "onboarding/plan/<int:organisation_id>/go-live/checklist/",
        views.checklist_tick,
        name="plan_checklist_tick",
    ),
    path(
        "onboarding/plan/<int:organisation_id>/go-live/communication/",
        views.go_live_communication,
        name="plan_go_live_communication",
    ),
    path("onboarding/plan/<int:organisation_id>/releases/", views.releases, name="plan_releases"),
    path(
        "onboarding/plan/<int:organisation_id>/training/",
        views.training_record,
        name="plan_training_record",
    ),
    path(
        "onboarding/plan/steps/<int:step_id>/<slug:action>/",
        views.step_close,
        name="plan_step_close",
    ),
    path("onboarding/plan/steps/<int:step_id>/", views.step_update, name="plan_step_update"),
]
