from django.urls import path

from safedesk.helpcenter import views

app_name = "helpcenter"
urlpatterns = [
    path("", views.home, name="home"),
    path("agent/articles/", views.home, name="editor_list"),
]
