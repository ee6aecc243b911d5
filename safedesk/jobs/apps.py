from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "safedesk.jobs"
    label = "jobs"
