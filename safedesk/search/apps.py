from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "safedesk.search"
    label = "search"
