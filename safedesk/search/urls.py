from django.urls import path

from safedesk.search import views

app_name = "search"
urlpatterns = [path("gaps/", views.gaps, name="gaps")]
