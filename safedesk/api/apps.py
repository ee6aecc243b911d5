from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "safedesk.api"
    label = "api"
