"""API tokens on the account pages and in the services: made once and shown once, stored only
as a hash, scoped, expiring, revocable by their owner and by administrators, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from safedesk.accounts import selectors, services
from safedesk.accounts.models import ApiToken
from safedesk.accounts.tests.helpers import bearer, new_token, verbs
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited

URL = "/accounts/tokens/"
ALL_URL = "/accounts/tokens/all/"
TOKEN_SHAPE = re.compile(r"sdk_[a-z0-9]{10}_[A-Za-z0-9]{40}")


def _create(client: Client, **fields: Any) -> Any:
    data = {"name": "Back office sync", "scopes": ["tickets:read"], "expires_in_days": "30", **fields}
    return client.post(URL, data)


def _shown_token(response: Any) -> str:
    [token] = TOKEN_SHAPE.findall(response.content.decode())
    return token


def _audit_text() -> str:
    return " ".join(str(row) for row in AuditEvent.objects.values_list("verb", "target_ref", "data"))


def test_it_shows_a_new_token_once_and_keeps_only_its_hash(
    alice: Any, login: Callable[..., Client], smtp_server: Any, run_tasks: Callable[[], int]
) -> None:
    client = login(alice)
    response = _create(client, name="Visit evil.example now", scopes=["tickets:read", "tickets:write"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = _shown_token(response)

    token = ApiToken.objects.get(user=alice)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == ["tickets:read", "tickets:write"] and token.second_factor is False
    stored = " ".join(str(v) for row in ApiToken.objects.values() for v in row.values())
    assert secret not in stored and secret.split("_")[2] not in stored
    # Shown once: the list names it by its prefix only.
    listed = client.get(URL).content.decode()
    assert secret not in listed and token.label in listed and "Visit evil.example now" in listed
    # Audited, without the secret.
    assert "accounts.api_token_created" in verbs(actor=alice)
    assert secret not in _audit_text() and secret.split("_")[2] not in _audit_text()
    # The owner is told by email, without the name (someone else may have chosen it).
    run_tasks()
    [mail] = smtp_server.to("alice@example.com")
    assert mail.subject == "A new API token was created for your account"
    assert token.label in mail.text and "tickets:write" in mail.text
    assert "evil.example" not in mail.text + mail.html and secret not in mail.text + mail.html
    # And it works.
    assert client.get("/api/v1/tickets", headers=bearer(secret)).status_code == 200


def test_it_refuses_a_bad_token_form_and_creates_nothing(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    bad: list[dict[str, Any]] = [
        {"name": ""},
        {"scopes": []},
        {"scopes": ["admin:everything"]},
        {"expires_in_days": "5000"},
    ]
    for fields in bad:
        response = _create(client, **fields)
        assert response.status_code == 400, fields
        assert not TOKEN_SHAPE.search(response.content.decode())
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "   "}, "required"),
        ({"name": "x" * 101}, "too_long"),
        ({"scopes": []}, "scopes_required"),
        ({"scopes": ["tickets:read", "tickets:delete"]}, "invalid_scope"),
        ({"expires_in_days": 0}, "invalid_expiry"),
        ({"expires_in_days": 366}, "invalid_expiry"),
        ({"expires_in_days": "soon"}, "invalid_expiry"),
    ],
)
def test_it_checks_names_scopes_and_expiry(alice: Any, fields: dict[str, Any], code: str) -> None:
    values: dict[str, Any] = {"name": "ci", "scopes": ["tickets:read"], "expires_in_days": None, **fields}
    with pytest.raises(InvalidInput) as refused:
        services.create_api_token(alice, second_factor=False, **values)
    assert refused.value.code == code
    assert ApiToken.objects.count() == 0


def test_it_applies_the_default_and_the_longest_expiry(alice: Any, settings: Any) -> None:
    settings.SAFEDESK_API_TOKEN_DAYS = 30
    settings.SAFEDESK_API_TOKEN_MAX_DAYS = 60
    made = services.create_api_token(alice, name="a", scopes=["tickets:read"], second_factor=False).token
    assert made.expires_at is not None
    assert abs(made.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    assert services.create_api_token(
        alice, name="b", scopes=["tickets:read"], expires_in_days=60, second_factor=False
    ).token.expires_at
    with pytest.raises(InvalidInput):
        services.create_api_token(alice, name="c", scopes=["tickets:read"], expires_in_days=61, second_factor=False)
    # Never-expiring tokens only when the administrator lifted the limit.
    with pytest.raises(InvalidInput):
        services.create_api_token(alice, name="d", scopes=["tickets:read"], expires_in_days=0, second_factor=False)
    settings.SAFEDESK_API_TOKEN_MAX_DAYS = 0
    forever = services.create_api_token(
        alice, name="e", scopes=["tickets:read"], expires_in_days=0, second_factor=False
    )
    assert forever.token.expires_at is None


def test_it_offers_never_only_when_the_limit_is_lifted(alice: Any, login: Callable[..., Client], settings: Any) -> None:
    client = login(alice)
    choices = [value for value, _label in client.get(URL).context["form"].fields["expires_in_days"].choices]
    assert choices == ["7", "30", "90", "180", "365"]
    settings.SAFEDESK_API_TOKEN_MAX_DAYS = 0
    choices = [value for value, _label in client.get(URL).context["form"].fields["expires_in_days"].choices]
    assert choices[-1] == "0"


def test_it_makes_staff_pass_the_second_factor_first(agent_sam: Any, login: Callable[..., Client]) -> None:
    password_only = Client()
    password_only.force_login(agent_sam)
    assert password_only.get(URL)["Location"] == "/accounts/2fa/"
    assert _create(password_only)["Location"] == "/accounts/2fa/"
    with pytest.raises(PermissionDenied) as refused:
        services.create_api_token(agent_sam, name="x", scopes=["tickets:read"], second_factor=False)
    assert refused.value.code == "otp_required"
    assert ApiToken.objects.count() == 0

    response = _create(login(agent_sam))
    assert response.status_code == 200 and TOKEN_SHAPE.search(response.content.decode())
    assert ApiToken.objects.get(user=agent_sam).second_factor is True


def test_it_limits_active_tokens_and_their_creation(alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 2)
    first = services.create_api_token(alice, name="1", scopes=["tickets:read"], second_factor=False).token
    services.create_api_token(alice, name="2", scopes=["tickets:read"], second_factor=False)
    with pytest.raises(Conflict) as refused:
        services.create_api_token(alice, name="3", scopes=["tickets:read"], second_factor=False)
    assert refused.value.code == "too_many_tokens"
    services.revoke_api_token(first, actor=alice)
    services.create_api_token(alice, name="3", scopes=["tickets:read"], second_factor=False)
    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 100)
    with pytest.raises(RateLimited):
        for n in range(20):
            services.create_api_token(alice, name=str(n), scopes=["tickets:read"], second_factor=False)
    # Ten attempts an hour, the refused one included.
    assert ApiToken.objects.filter(user=alice).count() == 9


def test_it_lets_the_owner_revoke_a_token_and_nobody_else(
    alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    secret = new_token(alice)
    token = ApiToken.objects.get(user=alice)
    revoke = f"{URL}{token.public_id}/revoke/"
    for stranger in (bob, agent_sam):
        assert login(stranger).post(revoke).status_code == 404
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert login(alice).post(f"{URL}{bad}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert login(alice).get(revoke).status_code == 405

    client = login(alice)
    assert client.post(revoke)["Location"] == URL
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == alice
    assert client.get("/api/v1/tickets", headers=bearer(secret)).status_code == 401
    # A second revocation changes nothing and records nothing more.
    client.post(revoke)
    assert verbs(verb="accounts.api_token_revoked") == ["accounts.api_token_revoked"]
    assert secret.split("_")[2] not in _audit_text()
    assert "revoked" in client.get(URL).content.decode()


def test_it_lets_administrators_list_and_revoke_every_token(
    alice: Any, agent_sam: Any, admin_root: Any, login: Callable[..., Client]
) -> None:
    alice_secret = new_token(alice, name="alice script")
    new_token(agent_sam, name="sam script")
    admin = login(admin_root)
    page = admin.get(ALL_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "alice script" in html and "sam script" in html and alice_secret not in html
    filtered = admin.get(ALL_URL, {"owner": "ALICE@example.com"}).context["page"].tokens
    assert [t.user for t in filtered] == [alice]

    token = ApiToken.objects.get(user=alice)
    response = admin.post(f"{URL}{token.public_id}/revoke/", {"from": "all"})
    assert response["Location"] == ALL_URL
    token.refresh_from_db()
    assert token.revoked_by == admin_root
    event = AuditEvent.objects.get(verb="accounts.api_token_revoked")
    assert event.actor == admin_root and event.data["owner"] == "alice@example.com" and not event.data["by_owner"]
    assert [t.user for t in admin.get(ALL_URL, {"active": "1"}).context["page"].tokens] == [agent_sam]

    # Nobody else sees the list.
    assert login(agent_sam).get(ALL_URL).status_code == 403
    assert login(alice).get(ALL_URL).status_code == 403
    password_only = Client()
    password_only.force_login(admin_root)
    assert password_only.get(ALL_URL)["Location"] == "/accounts/2fa/"


def test_it_pages_every_token_by_public_id(
    alice: Any, admin_root: Any, login: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "ADMIN_PAGE", 2)
    for n in range(5):
        new_token(alice, name=f"t{n}")
    admin = login(admin_root)
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        response = admin.get(ALL_URL, params)
        page = response.context["page"]
        seen += [t.name for t in page.tokens]
        if not page.next_after:
            break
        assert response.context["next_query"].endswith(f"after={page.tokens[-1].public_id}")
        params = {"after": page.next_after}
    assert seen == ["t4", "t3", "t2", "t1", "t0"]
    assert admin.get(ALL_URL, {"after": "nonsense"}).status_code == 400


def test_it_keeps_the_token_pages_within_a_query_budget(
    alice: Any,
    admin_root: Any,
    make_user: Callable[..., Any],
    login: Callable[..., Client],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(8):
        new_token(alice, name=f"mine {n}")
        new_token(make_user(f"user{n}"), name=f"theirs {n}")
    client = login(alice)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
    admin = login(admin_root)
    with django_assert_max_num_queries(8):
        assert len(admin.get(ALL_URL).context["page"].tokens) == 16


def test_it_stamps_the_last_use_at_most_once_a_minute(alice: Any, client: Client) -> None:
    secret = new_token(alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.get("/api/v1/tickets", headers=bearer(secret), REMOTE_ADDR="198.51.100.7")
        token = ApiToken.objects.get(user=alice)
        assert token.last_used_at == start and token.last_used_ip == "198.51.100.7"
        clock.shift(dt.timedelta(seconds=30))
        client.get("/api/v1/tickets", headers=bearer(secret), REMOTE_ADDR="198.51.100.8")
        token.refresh_from_db()
        assert token.last_used_at == start and token.last_used_ip == "198.51.100.7"
        clock.shift(dt.timedelta(seconds=31))
        client.get("/api/v1/tickets", headers=bearer(secret), REMOTE_ADDR="198.51.100.9")
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61) and token.last_used_ip == "198.51.100.9"
    # Bookkeeping only: no audit event per use.
    assert "accounts.api_token_used" not in verbs()


def test_it_finds_a_token_only_by_its_whole_text(alice: Any, bob: Any) -> None:
    secret = new_token(alice)
    found = selectors.token_for(secret)
    assert found is not None and found.user == alice
    prefix, key_id, _secret = secret.split("_")
    other = new_token(bob)
    for wrong in (
        f"{prefix}_{key_id}_{'A' * 40}",
        f"{prefix}_{key_id}_{other.split('_')[2]}",
        secret.upper(),
        secret + "x",
        secret[:-1],
        f" {secret}",
        ApiToken.objects.get(user=alice).secret_hash,
    ):
        assert selectors.token_for(wrong) is None, wrong


def test_it_never_shows_someone_elses_token(alice: Any, bob: Any) -> None:
    new_token(alice)
    token = ApiToken.objects.get(user=alice)
    with pytest.raises(NotFound):
        selectors.access_api_token(bob, token.public_id)
    with pytest.raises(NotFound):
        services.revoke_api_token(token, actor=bob)
    assert selectors.access_api_token(alice, str(token.public_id)) == token


def test_it_renders_the_token_pages_without_inline_script_or_style(
    alice: Any, admin_root: Any, login: Callable[..., Client]
) -> None:
    new_token(alice)
    pages = [
        login(alice).get(URL),
        _create(login(alice), name="another"),
        login(admin_root).get(ALL_URL),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert " style=" not in html and "<style" not in html
