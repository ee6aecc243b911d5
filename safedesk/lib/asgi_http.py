"""HTTP inside the ASGI server through Django's WSGI handler (docs/decisions/0004).

`safedesk serve` is one uvicorn process for HTTP and websockets. Django's own ASGI handler runs
every request of our (synchronous) views and middleware through three thread hops plus two for
the request signals; on this project's 2-core machine it caps a trivial view at ~450 req/s and
cost the embedded ticket pages 2 ms or more each. Here each request is one hop: the body is
read on the event loop (into a spooled file, as Django's ASGI handler does), then the WSGI
handler runs in asgiref's thread-sensitive executor — the one thread Django's ASGI handler
runs synchronous views in, so database connections and `async_to_sync` (the realtime layer)
behave exactly as before — and the response goes back through the event loop.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ_for(scope: Scope, body: Any) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope (PEP 3333; headers as CGI variables)."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] if client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class WsgiHttp:
    """An ASGI application serving HTTP with a WSGI application (one thread hop a request).

    The WSGI application runs in the thread-sensitive executor and only returns its response;
    every `send` happens here, on the event loop. (Sending from the executor thread through
    `async_to_sync` made asgiref route a later request's hop to an executor that had already
    quit under concurrent connections: a 500 with "CurrentThreadExecutor already quit".)"""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.run = sync_to_async(self._run, thread_sensitive=True)
        # A streamed body (a file) is read chunk by chunk in the same thread as its request.
        self.next_chunk = sync_to_async(_next_chunk, thread_sensitive=True)
        self.close = sync_to_async(_close, thread_sensitive=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"WsgiHttp serves HTTP only, not {scope['type']}")
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b") as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left before its request was complete: nothing to run
                body.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body.seek(0)
            started, result = await self.run(environ_for(scope, body))
        try:
            if getattr(result, "streaming", False) or getattr(result, "file_to_stream", None) is not None:
                # Streamed bodies (files) go out chunk by chunk, never held whole in memory.
                chunks = iter(result)
                await send(started)
                while (chunk := await self.next_chunk(chunks)) is not None:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                # A plain response holds its body in memory already: joining it does no I/O.
                payload = b"".join(result)
                await send(started)
                await send({"type": "http.response.body", "body": payload, "more_body": False})
        finally:
            # Closing a response sends request_finished (database connections are put back),
            # so it runs in the request's thread too.
            await self.close(result)

    def _run(self, environ: dict[str, Any]) -> tuple[Message, Iterable[bytes]]:
        started: list[Message] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [
                {
                    "type": "http.response.start",
                    "status": int(status.split(" ", 1)[0]),
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            ]
            return lambda _data: None  # the legacy write() callable; Django never uses it

        result = self.app(environ, start_response)
        return started[0], result


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()
