"""The official channel registry and the verifier (issue #4; CASES.md B12 T67): official numbers
in any notation, look-alike domains (homoglyphs, punycode, typos, added words, subdomain tricks),
known scams and everything else answered "NOT an official channel", in both languages; entries
with history and validity; a row changed past the services is not trusted; lookups are
rate-limited; only administrators change the registry."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict, InvalidInput, PermissionDenied
from safedesk.safety import services, verifier
from safedesk.safety.models import ChannelChange, OfficialChannel

pytestmark = pytest.mark.django_db


def _add(admin: Any, kind: str, value: str, *, platform: str = "", subdomains: bool = False, **kw: Any) -> Any:
    return services.add_official_channel(
        services.ChannelInput(
            kind=kind,
            value=value,
            platform=platform,
            label_en=kw.pop("label_en", "customer hotline"),
            label_zh=kw.pop("label_zh", "客服热线"),
            include_subdomains=subdomains,
            **kw,
        ),
        actor=admin,
    )


@pytest.fixture
def registry(admin_root: Any) -> Any:
    _add(admin_root, "phone", "+86 400 888 1234")
    _add(admin_root, "domain", "bitpie.com", subdomains=True, label_en="website", label_zh="官网")
    _add(admin_root, "email", "support@bitpie.com", label_en="support email", label_zh="客服邮箱")
    _add(admin_root, "handle", "@BitpieWallet", platform="telegram", label_en="Telegram channel", label_zh="电报频道")
    return admin_root


@pytest.mark.parametrize(
    "notation",
    [
        "+86 400 888 1234",
        "+864008881234",
        "0086 400 888 1234",
        "0086-400-888-1234",
        "400-888-1234",
        "400 888 1234",
        "(400) 888-1234",
        "＋８６ ４００ ８８８ １２３４",
    ],
)
def test_it_answers_official_for_the_hotline_in_any_notation(registry: Any, notation: str) -> None:
    verdict = verifier.verify(notation)
    assert verdict.status == "official", notation
    assert verdict.official is not None and verdict.official.value == "+864008881234"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("https://bitpie.com/download?utm_source=x", "official"),
        ("help.bitpie.com", "official"),  # subdomains are official for this entry
        ("BITPIE.COM.", "official"),
        ("support@bitpie.com", "official"),
        ("@bitpiewallet", "official"),
        ("https://t.me/BitpieWallet", "official"),
        ("bіtpie.com", "lookalike"),  # Cyrillic і
        ("bitpіe.com", "lookalike"),
        ("bitpie.cоm", None),  # Cyrillic о in the suffix: no such public suffix, refused or look-alike
        ("xn--btpie-n2e.com", "lookalike"),  # bіtpie.com in punycode
        ("bltpie.com", "lookalike"),
        ("bitpie-support.com", "lookalike"),
        ("bitpiekefu.com", "lookalike"),
        ("bitpie.com.support-help.io", "lookalike"),
        ("https://bitpie.com@evil.io/login", "unknown"),
        ("bitpie.co", "lookalike"),
        ("support@bitpie-help.com", "lookalike"),
        ("+86 400 888 1243", "lookalike"),
        ("@bitpie_wallet_support", "lookalike"),
        ("example.org", "unknown"),
        ("+1 212 555 0100", "unknown"),
    ],
)
def test_it_tells_official_from_look_alike_and_unknown(registry: Any, text: str, status: str | None) -> None:
    try:
        verdict = verifier.verify(text)
    except InvalidInput:
        assert status is None, text
        return
    if status is None:
        assert verdict.status in {"lookalike", "unknown"}, text
    else:
        assert verdict.status == status, (text, verdict)


def test_a_look_alike_says_what_it_imitates_and_why_in_both_languages(registry: Any, client: Any) -> None:
    response = client.post(
        "/api/v1/safety/verify", json.dumps({"query": "bitpie-support.com"}), content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "lookalike"
    assert body["official"]["display"] == "bitpie.com"
    assert "added_word" in body["reasons"]
    assert set(body["answers"]) == {"en", "zh-hans"}
    assert "NOT an official channel" in body["answers"]["en"]["headline"]
    zh = body["answers"]["zh-hans"]
    assert zh["headline"] and zh["headline"] != body["answers"]["en"]["headline"]
    assert zh["reasons"] and zh["advice"]


def test_every_status_has_an_answer_in_both_languages(registry: Any, admin_root: Any) -> None:
    from safedesk.safety import answers

    services.list_known_scam("phone", "+86 138 0013 8000", note="fake hotline in search ads", actor=admin_root)
    for text in ("bitpie.com", "+86 138 0013 8000", "bitpie-help.com", "example.org"):
        both = answers.answers(verifier.verify(text), first="zh-hans")
        assert [a.lang for a in both] == ["zh-hans", "en"]
        assert all(a.headline and a.advice for a in both)
        assert both[0].headline != both[1].headline


def test_a_known_scam_is_answered_as_one(registry: Any, agent_sam: Any) -> None:
    services.list_known_scam("domain", "bitpie-airdrop.net", note="fake airdrop", actor=agent_sam)
    assert verifier.verify("https://www.bitpie-airdrop.net/claim").status == "scam"


def test_an_official_channel_cannot_be_listed_as_a_scam(registry: Any, agent_sam: Any) -> None:
    with pytest.raises(Conflict) as refused:
        services.list_known_scam("phone", "4008881234", actor=agent_sam)
    assert refused.value.code == "channel_is_official"


def test_an_ended_entry_is_no_longer_official_and_says_until_when(registry: Any, admin_root: Any) -> None:
    entry = OfficialChannel.objects.get(kind="phone")
    services.end_official_channel(entry, actor=admin_root)
    verdict = verifier.verify("+86 400 888 1234")
    assert verdict.status == "unknown"
    assert verdict.former is not None and verdict.former.pk == entry.pk
    whats = list(ChannelChange.objects.filter(channel=entry).values_list("what", flat=True))
    assert whats == ["ended", "added"]
    assert AuditEvent.objects.filter(verb="safety.official_ended", target_ref=str(entry.public_id)).exists()


def test_validity_periods_decide_what_is_official_when(admin_root: Any) -> None:
    start = timezone.now() + timedelta(days=1)
    _add(admin_root, "domain", "bitpie.io", valid_from=start, valid_until=start + timedelta(days=30))
    assert verifier.verify("bitpie.io").status != "official"
    assert verifier.verify("bitpie.io", now=start + timedelta(hours=1)).status == "official"
    assert verifier.verify("bitpie.io", now=start + timedelta(days=31)).status != "official"


def test_an_entry_changed_past_the_services_is_not_trusted(registry: Any) -> None:
    # Someone with database access adds their own number, or moves an ended one's validity.
    OfficialChannel.objects.filter(kind="phone").update(value="+8613800138000")
    verifier.forget()
    assert verifier.verify("+86 138 0013 8000").status != "official"
    assert verifier.verify("+86 400 888 1234").status != "official"


def test_only_administrators_change_the_registry(registry: Any, supervisor_ada: Any, agent_sam: Any) -> None:
    for who in (supervisor_ada, agent_sam):
        with pytest.raises(PermissionDenied):
            _add(who, "domain", "bitpie.org")
    assert not OfficialChannel.objects.filter(value="bitpie.org").exists()


def test_a_channel_is_listed_once(registry: Any, admin_root: Any) -> None:
    with pytest.raises(Conflict) as refused:
        _add(admin_root, "phone", "0086 400 888 1234")
    assert refused.value.code == "channel_exists"
    assert OfficialChannel.objects.filter(kind="phone").count() == 1


@pytest.mark.parametrize("value", ["", "not a channel at all !!", "x" * 3000, "+86 12"])
def test_bad_entries_are_refused_with_a_code_and_change_nothing(admin_root: Any, value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _add(admin_root, "phone" if value.startswith("+") else "domain", value)
    assert refused.value.code
    assert not OfficialChannel.objects.exists()


def test_the_registry_changes_reach_the_verifier_at_once(admin_root: Any) -> None:
    assert verifier.verify("bitpie.com").status == "unknown"
    _add(admin_root, "domain", "bitpie.com")
    assert verifier.verify("bitpie.com").status == "official"


def test_lookups_are_rate_limited_for_page_and_api_together(registry: Any, client: Any, settings: Any) -> None:
    settings.SAFEDESK_VERIFY_RATE = 3
    codes = []
    for i in range(2):
        codes.append(client.post("/verify/", {"q": "bitpie.com"}).status_code)
        codes.append(
            client.post(
                "/api/v1/safety/verify", json.dumps({"query": f"bitpie{i}.com"}), content_type="application/json"
            ).status_code
        )
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429


def test_the_api_refuses_garbage_with_a_code(client: Any) -> None:
    response = client.post("/api/v1/safety/verify", json.dumps({"query": "!!!"}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"]
    response = client.post("/api/v1/safety/verify", "{", content_type="application/json")
    assert response.status_code == 400


def test_the_public_page_answers_in_both_languages_and_explains_the_anti_phishing_code(
    registry: Any, client: Any
) -> None:
    page = client.get("/verify/").content.decode()
    assert "anti-phishing-code" in page and "+86 400 888 1234" in page.replace("-", " ")
    response = client.post("/verify/", {"q": "bitpie-support.com"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="lookalike"' in html
    assert 'lang="zh-hans"' in html and 'lang="en"' in html
    assert html.index('lang="zh-hans"', html.index("verdict")) < html.index('lang="en"', html.index("verdict"))


def test_the_public_page_refuses_garbage_with_a_clear_error(client: Any) -> None:
    response = client.post("/verify/", {"q": "???"})
    assert response.status_code == 400
    assert "data-code=" in response.content.decode()


def test_public_lists_show_only_what_is_valid(registry: Any, admin_root: Any, client: Any) -> None:
    services.end_official_channel(OfficialChannel.objects.get(kind="email"), actor=admin_root)
    listed = {c["value"] for c in client.get("/api/v1/safety/official-channels").json()}
    assert "support@bitpie.com" not in listed and "+864008881234" in listed


def test_administrators_manage_the_registry_in_the_console(admin_root: Any, supervisor_ada: Any, login: Any) -> None:
    admin = login(admin_root)
    response = admin.post(
        "/agent/safety/registry/",
        {"kind": "phone", "value": "400-888-1234", "label_en": "hotline", "label_zh": "热线"},
    )
    assert response.status_code == 303
    entry = OfficialChannel.objects.get()
    assert entry.value == "+864008881234"
    page = admin.get(response["Location"]).content.decode()
    assert "hotline" in page
    response = admin.post(response["Location"], {"action": "end"})
    assert response.status_code == 303
    entry.refresh_from_db()
    assert entry.valid_until is not None
    # Supervisors read it, and are refused a change.
    supervisor = login(supervisor_ada)
    assert supervisor.get("/agent/safety/registry/").status_code == 200
    response = supervisor.post(
        "/agent/safety/registry/", {"kind": "domain", "value": "bitpie.com", "label_en": "a", "label_zh": "b"}
    )
    assert response.status_code == 403
    assert OfficialChannel.objects.count() == 1


def test_administrators_keep_the_registry_through_the_api(admin_root: Any, agent_sam: Any) -> None:
    from django.test import Client

    from safedesk.accounts.tests.helpers import bearer, new_token

    admin = bearer(new_token(admin_root, ("safety:write",)))
    client = Client()
    body = {"kind": "phone", "value": "0086 400 888 1234", "label_en": "hotline", "label_zh": "热线"}
    made = client.post("/api/v1/safety/official-channels", body, content_type="application/json", headers=admin)
    assert made.status_code == 201, made.content
    entry = made.json()
    assert entry["value"] == "+864008881234"
    again = client.post("/api/v1/safety/official-channels", body, content_type="application/json", headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "channel_exists"
    path = f"/api/v1/safety/official-channels/{entry['id']}"
    changed = client.patch(path, {"label_en": "main hotline"}, content_type="application/json", headers=admin)
    assert changed.status_code == 200 and changed.json()["label_en"] == "main hotline"
    assert changed.json()["label_zh"] == "热线"  # what was not sent stays
    agent = bearer(new_token(agent_sam, ("safety:write",)))
    refused = client.post(f"{path}/end", headers=agent, content_type="application/json")
    assert refused.status_code == 403
    ended = client.post(f"{path}/end", headers=admin, content_type="application/json")
    assert ended.status_code == 200 and ended.json()["valid_until"]
    assert verifier.verify("+86 400 888 1234").status == "unknown"
    reader = bearer(new_token(agent_sam, ("tickets:read",)))
    wrong_scope = client.post("/api/v1/safety/official-channels", body, content_type="application/json", headers=reader)
    assert wrong_scope.status_code == 403 and wrong_scope.json()["code"] == "insufficient_scope"
