"""Websocket routes. Empty until live chat (issue #5) adds its consumers."""

from typing import Any

websocket_urlpatterns: list[Any] = []
