from django.apps import AppConfig


class LibConfig(AppConfig):
    """Pure helpers; registered so its templates, checks and catalogue are found."""

    name = "safedesk.lib"
    label = "safedesk_lib"

    def ready(self) -> None:
        from safedesk.lib import checks  # noqa: F401  (registers the system checks)
