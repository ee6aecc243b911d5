"""The only writers of accounts state."""

from __future__ import annotations

from django.db import transaction

from safedesk.accounts.models import User
from safedesk.audit.services import record


def set_language(user: User, *, language: str, actor: User) -> User:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.language != language:
            locked.language = language
            locked.save(update_fields=["language"])
            record("accounts.language_changed", actor=actor, target=locked, data={"language": language})
    user.language = language
    return user
