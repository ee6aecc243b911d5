"""`safedesk serve`: one uvicorn process for HTTP and websockets (embedded mode also runs the
job worker in a thread). Scale-out mode serves HTTP through WSGI instead; see
docs/deploy-scaleout.md."""

from __future__ import annotations

import signal
import warnings
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve safedesk over HTTP and websockets (uvicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--no-worker", action="store_true", help="do not run jobs in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        from safedesk.jobs.runner import EmbeddedWorker
        from safedesk.lib.db import refresh_planner_statistics
        from safedesk.search.warmup import warm_up

        host = options["host"] or settings.CONFIG.host
        port = options["port"] or settings.CONFIG.port
        if settings.CONFIG.embedded:
            call_command("migrate", interactive=False, verbosity=0)
            refresh_planner_statistics()
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        # Static files are small; Django consuming WhiteNoise's file iterator in one go is fine.
        warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
        warm_up()
        worker = None
        if settings.CONFIG.embedded and not options["no_worker"]:
            worker = EmbeddedWorker()
            worker.start()
        self.stdout.write(f"safedesk ({settings.SAFEDESK_MODE}) on http://{host}:{port}/")
        # uvicorn handles SIGTERM/SIGINT itself, shuts down gracefully, then re-raises the signal
        # to the handler that was there before it: this one, so that the process exits with 0.
        signal.signal(signal.SIGTERM, lambda signum, frame: None)
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        try:
            uvicorn.run(
                "safedesk.asgi:application",
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="off",
                ws_max_size=65536,
            )
        finally:
            if worker is not None:
                worker.stop()
