"""`safedesk demo`: migrate, load the demo content (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from safedesk.demo import services


class Command(BaseCommand):
    help = "Set up the embedded demo: database, demo content and logins."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = services.ensure_demo_users(settings.DATA_DIR)
        summary = services.load_demo_content()
        url = settings.SITE_URL
        self.stdout.write(f"\nsafedesk demo ready: {url}/   ({summary})")
        self.stdout.write(f"data dir: {settings.DATA_DIR}\n")
        self.stdout.write("Demo logins (passwords were generated once into the data dir):")
        for login in logins:
            self.stdout.write(f"  {login.role:<10} {login.email:<32} password: {login.password}")
            if login.totp_secret:
                self.stdout.write(f"             TOTP secret: {login.totp_secret}")
                self.stdout.write(f"             otpauth URI: {login.totp_uri}")
        self.stdout.write(
            "Staff sign in with their password, then a code from any authenticator app set up with the"
            " secret above (or `safedesk totp EMAIL` prints the current code).\n"
        )
