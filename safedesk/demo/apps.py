from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo logins and content for `make demo`. Depends on every other app, so it sits on top."""

    name = "safedesk.demo"
    label = "demo"
