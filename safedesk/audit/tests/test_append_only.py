import pytest

from safedesk.audit.models import AppendOnlyError, AuditEvent
from safedesk.audit.services import record


def test_it_records_and_redacts_secrets(db, alice) -> None:
    event = record(
        "x.changed",
        actor=alice,
        target=alice,
        data={"password": "hunter2", "nested": {"otp_code": "123456"}, "field": "ok"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_label == "alice@example.com"
    assert stored.data == {"password": "[redacted]", "nested": {"otp_code": "[redacted]"}, "field": "ok"}
    assert stored.target_type == "accounts.user"


def test_it_never_changes_or_deletes(db, alice) -> None:
    event = record("x.changed", actor=alice)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="y")
    assert AuditEvent.objects.filter(pk=event.pk, verb="x.changed").exists()
