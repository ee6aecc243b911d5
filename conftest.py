"""Personas and shared fixtures for every test (ARCHITECTURE.md, convention 10)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

# Browser fixtures (`browser`, `tab`) live beside the serving helpers.
pytest_plugins = ["safedesk.tests.browser"]

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and throttles live in the cache; each test starts with none spent.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media_dir(tmp_path: Any, settings: Any) -> Any:
    """Stored files (attachments) go to a fresh directory for this test, which the test can walk
    to check that a refused upload left nothing behind."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": settings.MEDIA_URL},
        },
    }
    return root


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safedesk.accounts.models import Role, User

    def make(handle: str, role: str = Role.CUSTOMER, *, verified: bool = True, **extra: Any) -> Any:
        user = User.objects.create_user(
            f"{handle}@example.com",
            PASSWORD,
            display_name=handle.capitalize(),
            role=role,
            email_verified_at=timezone.now() if verified else None,
            **extra,
        )
        if user.is_staff_role:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user

    return make


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob")


@pytest.fixture
def mallory(make_user: Callable[..., Any]) -> Any:
    return make_user("mallory")


@pytest.fixture
def agent_sam(make_user: Callable[..., Any]) -> Any:
    return make_user("sam", "agent")


@pytest.fixture
def supervisor_ada(make_user: Callable[..., Any]) -> Any:
    return make_user("ada", "supervisor")


@pytest.fixture
def admin_root(make_user: Callable[..., Any]) -> Any:
    return make_user("root", "admin")


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A client signed in as `user`; staff are also past their second factor (TOTP)."""

    def sign_in(user: Any, client: Client | None = None) -> Client:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        client = client or Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return sign_in


# Email through a real SMTP server ----------------------------------------------------------


@dataclass
class ReceivedMail:
    """One message as the SMTP server received it (envelope and parsed MIME)."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: Any = None  # the client's (host, port): one per SMTP session

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def _part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    @property
    def text(self) -> str:
        return self._part("plain")

    @property
    def html(self) -> str:
        return self._part("html")

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.text)


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.peer))
        return "250 Message accepted"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp_server(_smtp_controller: SmtpSink, settings: Any) -> SmtpSink:
    """A real SMTP server (aiosmtpd, in a thread on a free 127.0.0.1 port, one per test session)
    with Django's SMTP backend pointed at it for this test. `smtp_server.messages` holds what
    arrived (envelope recipients + parsed MIME), emptied at the start of every test.

    Emails are sent by tasks, so pair it with `run_tasks` (below) to deliver them."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = _smtp_controller.host
    settings.EMAIL_PORT = _smtp_controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    _smtp_controller.clear()
    return _smtp_controller


@pytest.fixture
def run_tasks(db: Any) -> Callable[[], int]:
    """Run every ready background job, the way production does: the tests keep the real
    TASKS setting (django-tasks-db, the job row written in the request's transaction), and
    this runs each ready row through the worker's run_task (jobs.runner.Worker), inside the test's
    transaction (the worker's main loop is not used because it closes database connections,
    which a test transaction does not survive). A failed job fails the test with its traceback.
    Returns how many jobs ran."""
    from django_tasks_db.models import DBTaskResult

    from safedesk.jobs.runner import make_worker

    worker = make_worker(max_tasks=None)

    def run() -> int:
        count = 0
        while True:
            job = DBTaskResult.objects.ready().order_by("enqueued_at").first()
            if job is None:
                return count
            job.claim(worker.worker_id)
            worker.run_task(job)
            job.refresh_from_db()
            if job.exception_class_path:
                raise AssertionError(f"job {job.task_path} failed:\n{job.traceback}")
            count += 1

    return run


# Public evaluation data (../shared/data beside the repository) -----------------------------------


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The folder of public evaluation data (`../shared/data` beside the repository, or
    SAFEDESK_EVAL_DATA); tests that need it skip, saying so, when it is absent. Never copied into
    the repository (its README's rule)."""
    root = Path(os.environ.get("SAFEDESK_EVAL_DATA") or Path(__file__).resolve().parent.parent / "shared" / "data")
    if not root.is_dir():
        pytest.skip(f"no evaluation data at {root} (set SAFEDESK_EVAL_DATA)")
    return root
