"""CASES.md T67: the verifier page is served under HSTS (with the production switch
`SAFEDESK_SECURE=1`) and never over plain HTTP. Settings are read once per process, so the check
runs in a process started with that switch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from safedesk.tests.serving import BIN, embedded_env

CHECK = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="desk.example")
plain = client.get("/verify/")
secure = client.get("/verify/", secure=True)
api = client.post("/api/v1/safety/verify", '{"query": "example.org"}', content_type="application/json", secure=True)
print(plain.status_code, plain.get("Location", ""))
print(secure.status_code, secure.get("Strict-Transport-Security", ""))
print(api.status_code, api.get("Strict-Transport-Security", ""))
"""


def test_the_verifier_is_served_with_hsts_and_redirects_plain_http(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data", 0) | {
        "DJANGO_SETTINGS_MODULE": "safedesk.settings",
        "SAFEDESK_SECURE": "1",
        "SAFEDESK_ALLOWED_HOSTS": "desk.example",
        "SAFEDESK_SITE_URL": "https://desk.example",
    }
    subprocess.run([str(BIN / "safedesk"), "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    done = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    plain, secure, api = (line.split(" ", 1) for line in done.stdout.strip().splitlines()[-3:])
    assert plain[0] == "301" and plain[1].startswith("https://desk.example/verify/")
    assert secure[0] == "200" and "max-age=31536000" in secure[1] and "includeSubDomains" in secure[1]
    assert api[0] == "200" and "max-age=31536000" in api[1]
