"""WSGI entry for scaled-out HTTP (granian or gunicorn); websockets go to asgi.py."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from safedesk.search.warmup import warm_up  # noqa: E402

# Each web worker loads the segmenter's dictionary before its first request, not during it.
warm_up()

from safedesk.lib.heap import settle  # noqa: E402

# Then freezes what it has loaded: collections skip it (see the module).
settle()
