"""ASGI entry: HTTP through Django, websockets through Channels (routes land with live chat)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()

from safedesk.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi, "websocket": URLRouter(websocket_urlpatterns)})
