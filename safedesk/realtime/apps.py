from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "safedesk.realtime"
    label = "realtime"
