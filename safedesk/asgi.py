"""ASGI entry: HTTP through Django's WSGI handler (one thread hop a request, see
safedesk/lib/asgi_http.py and docs/decisions/0004), websockets through Channels (routes land
with live chat)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from safedesk.lib.asgi_http import WsgiHttp  # noqa: E402

django_http = WsgiHttp(get_wsgi_application())

from safedesk.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_http, "websocket": URLRouter(websocket_urlpatterns)})

from safedesk.lib.heap import settle  # noqa: E402

# Everything the server needs is loaded now (`safedesk serve` warms the search dictionary up
# before it imports this module): freeze it, so that collections skip it (see the module).
settle()
