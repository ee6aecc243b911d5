"""Customers and guests cannot take a name that claims to be staff or official (CASES.md B12 T68):
staff messages carry a "verified staff" mark drawn from the author's role, and a name such as
"Official Support", "客服小王" or "✔ Alice" must not do the same. Compared as people read it
(NFKC, case, accents, look-alike letters of other alphabets, digits for letters); staff names are
not restricted."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from safedesk.accounts import services
from safedesk.accounts.models import User
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput

RESERVED = [
    "Official Support",
    "OFFICIAL",
    "safedesk team",
    "SafeDesk",
    "Help Desk",
    "Customer Service",
    "Moderator Mia",
    "verified",
    "Admin",
    "TheAdmin",
    "staff_sam",
    "Sam (staff)",
    "客服小王",
    "官方",
    "官 方",  # spaces between the characters
    "管理员",
    "管理員",  # traditional
    "工作人员",
    "认证用户",
    "技术支持",
    "✔ Alice",
    "Alice ✓",
    "☑ Bob",
    "✅",
    "√ Carol",
    "Ｓｕｐｐｏｒｔ",  # full width
    "𝐒𝐮𝐩𝐩𝐨𝐫𝐭",  # mathematical bold
    "Supp0rt",  # digit for a letter
    "$taff",
    "Offic1al",
    "adrnin",  # rn for m
    "Аdmin",  # Cyrillic А
    "ѕupport",  # Cyrillic ѕ
    "ᴀdmin",  # small capital A
    "s\u0301upport",  # a combining accent
    "sup\u200bport",  # a zero-width space
    "S u p p o r t",
    "s.t.a.f.f",
    "ad mi n",
    "Sup port",
]
ORDINARY = [
    "Alice",
    "Alice Liddell",
    "王小明",
    "李娜",
    "Chris Taffy",  # "staff" only when the space is dropped
    "Ivan Dmitriev",
    "Portia",
    "Sam O'Neil",
    "Mia 2024",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("name", RESERVED)
def test_it_refuses_a_customer_name_that_claims_to_be_staff(alice: Any, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.update_profile(alice, display_name=name, language="en", actor=alice)
    assert refused.value.code == "display_name_reserved"
    assert refused.value.params["field"] == "display_name"
    alice.refresh_from_db()
    assert alice.display_name == "Alice"
    assert not AuditEvent.objects.filter(verb="accounts.profile_updated").exists()


@pytest.mark.parametrize("name", ORDINARY)
def test_it_keeps_ordinary_names(alice: Any, name: str) -> None:
    assert not services.claims_to_be_staff(name)
    services.update_profile(alice, display_name=name, language="en", actor=alice)
    alice.refresh_from_db()
    assert alice.display_name == name


def test_staff_names_are_not_restricted(agent_sam: Any, supervisor_ada: Any) -> None:
    services.update_profile(agent_sam, display_name="Support · Sam", language="en", actor=agent_sam)
    services.update_profile(supervisor_ada, display_name="官方客服 Ada", language="zh-hans", actor=supervisor_ada)
    agent_sam.refresh_from_db()
    supervisor_ada.refresh_from_db()
    assert (agent_sam.display_name, supervisor_ada.display_name) == ("Support · Sam", "官方客服 Ada")


def test_the_profile_page_says_why(login: Any, alice: Any) -> None:
    response = login(alice).post(
        reverse("accounts:profile"), {"display_name": "官方客服", "language": "en"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "cannot say that you are staff or official" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == "Alice"


def test_a_sign_up_cannot_take_a_reserved_name(db: Any, client: Any) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "carol@example.com",
            "display_name": "Safedesk Official",
            "password1": "purple elephant umbrella 77",
            "password2": "purple elephant umbrella 77",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "cannot say that you are staff or official" in response.content.decode()
    assert not User.objects.filter(email="carol@example.com").exists()
