from django.contrib.auth import views as auth_views
from django.urls import path

from safedesk.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.LoginView.as_view(), name="signup"),
    path("language/", views.set_language, name="set_language"),
]
