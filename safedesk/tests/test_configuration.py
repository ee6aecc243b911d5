import re
from pathlib import Path

import pytest

from safedesk import conf

ROOT = Path(__file__).resolve().parents[2]


def test_it_documents_every_variable() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in conf.VARIABLES if f"`{name}`" not in doc]
    assert missing == []


def test_it_reads_the_environment_only_in_conf() -> None:
    offenders = []
    for path in (ROOT / "safedesk").rglob("*.py"):
        if path.name == "conf.py" or "tests" in path.parts or path.name in {"__main__.py", "asgi.py", "wsgi.py"}:
            continue
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_it_refuses_scaleout_without_postgres(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFEDESK_MODE", "scaleout")
    monkeypatch.setenv("SAFEDESK_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(conf.ConfigError, match="DATABASE_URL"):
        conf.load()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///tmp/x.sqlite3")
    with pytest.raises(conf.ConfigError, match="PostgreSQL"):
        conf.load()


def test_it_refuses_scaleout_without_secret_or_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_MODE", "scaleout")
    monkeypatch.setenv("DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")
    monkeypatch.delenv("SAFEDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("SAFEDESK_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(conf.ConfigError, match="SECRET_KEY"):
        conf.load()
    monkeypatch.setenv("SAFEDESK_SECRET_KEY", "x" * 50)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(conf.ConfigError, match="REDIS_URL"):
        conf.load()


def test_it_generates_the_embedded_secret_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SAFEDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("SAFEDESK_MODE", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = conf.load()
    second = conf.load()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.database.name == str(tmp_path / "safedesk.sqlite3")


def test_it_rejects_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_MODE", "cluster")
    with pytest.raises(conf.ConfigError):
        conf.load()
    monkeypatch.setenv("SAFEDESK_MODE", "embedded")
    monkeypatch.setenv("SAFEDESK_PORT", "eighty")
    with pytest.raises(conf.ConfigError):
        conf.load()


def test_it_parses_database_urls() -> None:
    db = conf.parse_database_url("postgresql://u:p%40ss@db.local:5433/safedesk?sslmode=require")
    assert (db.engine, db.name, db.user, db.password, db.host, db.port) == (
        "django.db.backends.postgresql",
        "safedesk",
        "u",
        "p@ss",
        "db.local",
        "5433",
    )
    assert dict(db.options) == {"sslmode": "require"}
    with pytest.raises(conf.ConfigError):
        conf.parse_database_url("mysql://x/y")
