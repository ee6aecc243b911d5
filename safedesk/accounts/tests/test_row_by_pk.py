"""`lib.db.row_by_pk` (the per-request user and device reads): the same row as the ORM's
lookup, with the fields' converters applied."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.accounts.models import Team, User
from safedesk.lib.db import row_by_pk

pytestmark = pytest.mark.django_db


def test_it_reads_a_row_as_the_orm_does(agent_sam: Any) -> None:
    fresh = User.objects.get(pk=agent_sam.pk)
    row = row_by_pk(User, agent_sam.pk)
    assert row is not None and row.pk == agent_sam.pk
    for field in User._meta.concrete_fields:
        assert getattr(row, field.attname) == getattr(fresh, field.attname), field.name
    assert row.date_joined.tzinfo is not None  # converted, not the stored text
    assert row_by_pk(User, str(agent_sam.pk)) == fresh


def test_it_answers_none_for_a_missing_key() -> None:
    team = Team.objects.create(name="Night shift")
    assert row_by_pk(Team, team.pk) == team
    assert row_by_pk(Team, team.pk + 1000) is None
    assert row_by_pk(User, 10**9) is None


def test_it_answers_none_for_a_key_that_cannot_be_one() -> None:
    assert row_by_pk(User, "not-a-number") is None


def test_it_reads_a_second_factor_device_by_its_32_bit_key(agent_sam: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=agent_sam)
    row = row_by_pk(TOTPDevice, device.pk)
    assert row is not None and row.pk == device.pk and row.key == device.key and row.user_id == agent_sam.pk
