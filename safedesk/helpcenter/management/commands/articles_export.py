"""`safedesk articles_export DIR [--actor EMAIL]`: write every article as Markdown files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safedesk.helpcenter.services import export_articles, resolve_actor
from safedesk.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Export help-center categories and articles (drafts included) to DIR in the import format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--actor", default="", help="Email of the person the export is recorded for.")

    def _actor(self, email: str) -> Any:
        try:
            return resolve_actor(email)
        except InvalidInput as exc:
            raise CommandError(str(exc.message)) from None

    def handle(self, *args: Any, folder: Path, actor: str, **options: Any) -> None:
        result = export_articles(folder, actor=self._actor(actor))
        self.stdout.write(f"wrote {result.categories} categories and {result.files} article files to {folder}")
