from django.urls import path

from safedesk.safety import views

app_name = "safety"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/scams/", views.known_scams, name="scams"),
    path("agent/safety/registry/", views.registry, name="registry"),
    path("agent/safety/registry/<str:public_id>/", views.registry_entry, name="registry_entry"),
    path("agent/safety/scams/", views.scams_admin, name="scams_admin"),
    path("agent/safety/scams/<str:public_id>/withdraw", views.scam_withdraw, name="scam_withdraw"),
    path("agent/safety/guard/", views.guard_events, name="guard_events"),
]
