"""Account emails, sent by the job worker (never inside a request).

Arguments are public ids only: the job row is stored in the database, so links and tokens are
made here, at sending time, and never written anywhere. Links always start with
settings.SITE_URL, never with the Host of the request that asked for them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from safedesk.accounts import tokens
from safedesk.accounts.models import ApiToken, User
from safedesk.jobs.mail import send_templated_email


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _recipient(public_id: str) -> User | None:
    return User.objects.filter(public_id=public_id, is_active=True).first()


def _send(user: User, *, subject: Any, template: str, **context: Any) -> None:
    send_templated_email(
        to=user.email,
        subject=subject,
        template=f"accounts/emails/{template}",
        context={"user": user, "site_url": settings.SITE_URL, **context},
        language=user.language or settings.LANGUAGE_CODE,
    )


@task(queue_name="email")
def send_verification_email(public_id: str) -> None:
    user = _recipient(public_id)
    if user is None or user.email_verified_at is not None:
        return
    link = _site_url(reverse("accounts:verify_email", kwargs={"token": tokens.make_verify_token(user)}))
    _send(
        user,
        subject=_("Confirm your email address"),
        template="verify_email",
        link=link,
        hours=tokens.VERIFY_MAX_AGE // 3600,
    )


@task(queue_name="email")
def send_signup_attempt_notice(public_id: str) -> None:
    user = _recipient(public_id)
    if user is None:
        return
    _send(
        user,
        subject=_("Someone tried to sign up with your email address"),
        template="signup_attempt",
        login_link=_site_url(reverse("accounts:login")),
        reset_link=_site_url(reverse("accounts:password_reset")),
    )


@task(queue_name="email")
def send_password_reset_email(public_id: str) -> None:
    user = _recipient(public_id)
    if user is None or not user.may_reset_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": user.public_id.hex, "token": default_token_generator.make_token(user)},
    )
    _send(
        user,
        subject=_("Reset your password"),
        template="password_reset",
        link=_site_url(path),
        hours=settings.PASSWORD_RESET_TIMEOUT // 3600,
    )


@task(queue_name="email")
def send_password_changed_notice(public_id: str) -> None:
    user = _recipient(public_id)
    if user is None:
        return
    _send(
        user,
        subject=_("Your password was changed"),
        template="password_changed",
        reset_link=_site_url(reverse("accounts:password_reset")),
    )


@task(queue_name="email")
def send_api_token_created_notice(token_public_id: str) -> None:
    # The token's name is not quoted: whoever made the token wrote it, and a stolen session must
    # not be able to make us mail its owner a text of the thief's choosing.
    token = ApiToken.objects.select_related("user").filter(public_id=token_public_id).first()
    if token is None or not token.user.is_active:
        return
    _send(
        token.user,
        subject=_("A new API token was created for your account"),
        template="api_token_created",
        label=token.label,
        scope_list=", ".join(sorted(token.scopes)),
        expires_at=token.expires_at,
        tokens_link=_site_url(reverse("accounts:api_tokens")),
    )
