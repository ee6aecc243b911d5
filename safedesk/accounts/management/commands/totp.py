"""`safedesk totp EMAIL`: print the current code of that user's demo authenticator.

For newcomers trying the demo and for browser tests. Only the device the demo set-up created
(named "demo") is read: real staff authenticators are never printed.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_DEVICE_NAME = "demo"


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user's authenticator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip().lower()
        device = TOTPDevice.objects.filter(user__email=email, name=DEMO_DEVICE_NAME, confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no demo authenticator")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(f"{code:0{device.digits}d}")
        self.stderr.write(f"valid for about {remaining} more seconds")
