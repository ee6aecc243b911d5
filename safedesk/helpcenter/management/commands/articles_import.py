"""`safedesk articles_import DIR [--actor EMAIL]`: load a folder of Markdown articles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safedesk.helpcenter.services import import_articles, resolve_actor
from safedesk.lib.db import refresh_planner_statistics
from safedesk.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Import help-center articles from DIR (categories.yaml and articles/<key>.<lang>.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--actor", default="", help="Email of the person the changes are recorded for.")

    def _actor(self, email: str) -> Any:
        try:
            return resolve_actor(email)
        except InvalidInput as exc:
            raise CommandError(str(exc.message)) from None

    def handle(self, *args: Any, folder: Path, actor: str, **options: Any) -> None:
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        result = import_articles(folder, actor=self._actor(actor))
        refresh_planner_statistics()  # a bulk import changes the tables' shape
        for error in result.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
            f"errors {len(result.errors)}"
        )
        if result.errors:
            raise CommandError(f"{len(result.errors)} file(s) could not be imported")
