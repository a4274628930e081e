from django.urls import path

from onboarding.winback import views

urlpatterns = [
    path("win-back/", views.win_back, name="win_back"),
    path("win-back/<int:notice_id>/", views.win_back_detail, name="win_back_detail"),
    path("win-back/<int:notice_id>/outcome/", views.win_back_outcome, name="win_back_outcome"),
    path("win-back/<int:notice_id>/meeting/", views.win_back_meeting, name="win_back_meeting"),
]
