"""The only module that reads the process environment.

Every variable read here is documented in docs/configuration.md (a test checks that the two agree).
Settings, commands and the Makefile ask this module; nothing else calls os.environ.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every variable this module may read, with a one-line meaning. docs/configuration.md must list
# each of these names; the test in safedesk/lib/tests/test_configuration.py enforces it.
VARIABLES: dict[str, str] = {
    "SAFEDESK_MODE": "embedded (default) or scaleout",
    "SAFEDESK_DATA_DIR": "where the embedded database, media, secret key and demo logins live",
    "SAFEDESK_HOST": "address `safedesk serve` binds to",
    "SAFEDESK_PORT": "port `safedesk serve` binds to",
    "SAFEDESK_DEBUG": "Django debug mode (never in production)",
    "SAFEDESK_SECRET_KEY": "secret key (scaleout: required, or SAFEDESK_SECRET_KEY_FILE)",
    "SAFEDESK_SECRET_KEY_FILE": "file holding the secret key",
    "SAFEDESK_ALLOWED_HOSTS": "comma-separated host names the desk answers to",
    "SAFEDESK_SITE_URL": "public base URL used in emails",
    "SAFEDESK_SECURE": "1 when served over HTTPS: secure cookies, HSTS, SSL redirect",
    "DATABASE_URL": "scaleout database, postgresql://user:pass@host:port/name",
    "REDIS_URL": "scaleout Redis for channel layer and cache, redis://host:port/db",
    "SAFEDESK_EMAIL_HOST": "SMTP server host; empty writes emails as files into DATA_DIR/outbox",
    "SAFEDESK_EMAIL_PORT": "SMTP server port",
    "SAFEDESK_EMAIL_USER": "SMTP user name",
    "SAFEDESK_EMAIL_PASSWORD": "SMTP password",
    "SAFEDESK_EMAIL_TLS": "1 to use STARTTLS",
    "SAFEDESK_FROM_EMAIL": "sender address of outgoing emails",
    "SAFEDESK_SEARCH_RATE": "public search requests allowed per client per minute",
    "SAFEDESK_SEARCH_CACHE_SECONDS": "how long search results are cached (0 turns the result cache off)",
    "SAFEDESK_TICKET_REOPEN_DAYS": "days after a ticket is solved during which its customer may reopen it",
    "SAFEDESK_TICKET_RATE": "tickets a client (signed-in customer or guest address) may submit per hour",
    "SAFEDESK_GUEST_LINK_HOURS": "hours a guest's ticket confirmation link stays valid",
    "SAFEDESK_UPLOAD_MAX_FILE_MB": "largest attachment accepted, in MB",
    "SAFEDESK_UPLOAD_MAX_MESSAGE_MB": "largest total of the attachments of one message, in MB",
    "SAFEDESK_UPLOAD_MAX_FILES": "most attachments on one message (also Django's DATA_UPLOAD_MAX_NUMBER_FILES)",
    "SAFEDESK_UPLOAD_MAX_PIXELS": "largest image accepted, in pixels (width x height), read from the header",
    "SAFEDESK_UPLOAD_ZIP_MAX_ENTRIES": "most entries a ZIP attachment may list",
    "SAFEDESK_UPLOAD_ZIP_MAX_UNCOMPRESSED_MB": "largest total a ZIP attachment may unpack to, in MB",
    "SAFEDESK_UPLOAD_MAX_TEXT_KB": "most text-file bytes of one message read for secrets (and so accepted), in KB",
    "SAFEDESK_UPLOAD_SCANNER": "dotted path of the malware scanner class; empty turns scanning off",
    "SAFEDESK_FILES_ORIGIN": "separate origin (another registrable domain) that serves attachments",
    "SAFEDESK_FILES_URL_SECONDS": "how long a signed attachment link on the files origin stays valid",
    "SAFEDESK_TRUSTED_PROXY_COUNT": "number of reverse proxies whose X-Forwarded-For hop is trusted",
    "SAFEDESK_API_TOKEN_DAYS": "days a new API token stays valid unless its owner picks another expiry",
    "SAFEDESK_API_TOKEN_MAX_DAYS": "longest API token expiry in days (0: no limit, never-expiring allowed)",
    "SAFEDESK_API_TOKEN_RATE": "API requests one token may make per minute",
    "SAFEDESK_PROBE_THRESHOLD": "misses within the probe window that write one security event",
    "SAFEDESK_PROBE_WINDOW": "seconds of the probe window (one security event per client and kind in it)",
    "SAFEDESK_LINK_ALLOWLIST": "host names staff messages may link to, beside the desk and the official domains",
    "SAFEDESK_VERIFY_RATE": "official-channel verifier lookups allowed per client per minute",
    "SAFEDESK_PHONE_REGION": "region (ISO 3166 code) assumed for phone numbers written without a country code",
    "SAFEDESK_TEST_DATABASE_URL": "PostgreSQL URL for the second run of the test suite",
    "SAFEDESK_LOG_LEVEL": "log level of the safedesk loggers",
    "SAFEDESK_DB_PREPARE_THRESHOLD": (
        "PostgreSQL: executions of one statement on a connection after which it is prepared on the server;"
        " 0 binds parameters in the client and prepares nothing (e.g. behind a transaction-pooling proxy)"
    ),
}


class ConfigError(Exception):
    """A configuration value is missing or malformed."""


def _get(name: str, default: str = "") -> str:
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a documented safedesk variable")
    return os.environ.get(name, default).strip()


def _flag(name: str, default: bool = False) -> bool:
    raw = _get(name, "1" if default else "0").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be 0 or 1, not {raw!r}")


def _int(name: str, default: int) -> int:
    raw = _get(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc


@dataclass(frozen=True)
class Database:
    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: tuple[tuple[str, str], ...] = ()


def parse_database_url(url: str) -> Database:
    """Parse postgresql://user:pass@host:port/name or sqlite:///absolute/path."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("DATABASE_URL names no database")
        opts = tuple((k, v[-1]) for k, v in parse_qs(parts.query).items())
        return Database(
            engine="django.db.backends.postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
            options=opts,
        )
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path:
            raise ConfigError("sqlite URL names no file")
        return Database(engine="django.db.backends.sqlite3", name=path)
    raise ConfigError(f"unsupported database URL scheme {parts.scheme!r}")


@dataclass(frozen=True)
class Config:
    mode: str
    data_dir: Path
    host: str
    port: int
    debug: bool
    secret_key: str
    allowed_hosts: tuple[str, ...]
    site_url: str
    secure: bool
    database: Database
    redis_url: str
    email_host: str
    email_port: int
    email_user: str
    email_password: str
    email_tls: bool
    from_email: str
    search_rate_per_minute: int
    search_cache_seconds: int
    ticket_reopen_days: int
    ticket_rate_per_hour: int
    guest_link_hours: int
    trusted_proxy_count: int
    api_token_days: int
    api_token_max_days: int
    api_token_rate_per_minute: int
    probe_threshold: int
    probe_window_seconds: int
    log_level: str
    db_prepare_threshold: int
    upload_max_file_mb: int
    upload_max_message_mb: int
    upload_max_files: int
    upload_max_pixels: int
    upload_zip_max_entries: int
    upload_zip_max_uncompressed_mb: int
    upload_max_text_kb: int
    upload_scanner: str
    files_origin: str
    files_url_seconds: int
    link_allowlist: tuple[str, ...]
    verify_rate_per_minute: int
    phone_region: str

    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"


def _secret_key(mode: str, data_dir: Path) -> str:
    direct = _get("SAFEDESK_SECRET_KEY")
    if direct:
        return direct
    path = _get("SAFEDESK_SECRET_KEY_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    if mode == "scaleout":
        raise ConfigError("scaleout mode needs SAFEDESK_SECRET_KEY or SAFEDESK_SECRET_KEY_FILE")
    # Embedded: generated once into the data dir, readable only by the owner.
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text(encoding="utf-8").strip()


def _origin(name: str) -> str:
    """scheme://host[:port] and nothing else, or empty."""
    raw = _get(name).rstrip("/")
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path or parts.query or parts.username:
        raise ConfigError(f"{name} must look like https://files.example-usercontent.net, not {raw!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {value}")
    return value


def load() -> Config:
    mode = _get("SAFEDESK_MODE", "embedded") or "embedded"
    if mode not in {"embedded", "scaleout"}:
        raise ConfigError(f"SAFEDESK_MODE must be embedded or scaleout, not {mode!r}")
    data_dir = Path(_get("SAFEDESK_DATA_DIR") or REPO_ROOT / "var").resolve()
    db_url = _get("DATABASE_URL")
    if mode == "scaleout":
        if not db_url:
            raise ConfigError("scaleout mode needs DATABASE_URL (PostgreSQL)")
        database = parse_database_url(db_url)
        if database.engine != "django.db.backends.postgresql":
            raise ConfigError("scaleout mode needs a PostgreSQL DATABASE_URL")
        if not _get("REDIS_URL"):
            raise ConfigError("scaleout mode needs REDIS_URL (channel layer, cache, rate limits)")
    else:
        database = (
            parse_database_url(db_url)
            if db_url
            else Database(engine="django.db.backends.sqlite3", name=str(data_dir / "safedesk.sqlite3"))
        )
    host = _get("SAFEDESK_HOST", "127.0.0.1") or "127.0.0.1"
    port = _int("SAFEDESK_PORT", 8000)
    hosts = tuple(h.strip() for h in _get("SAFEDESK_ALLOWED_HOSTS").split(",") if h.strip())
    if not hosts:
        hosts = ("127.0.0.1", "localhost", "[::1]", "testserver")
    return Config(
        mode=mode,
        data_dir=data_dir,
        host=host,
        port=port,
        debug=_flag("SAFEDESK_DEBUG"),
        secret_key=_secret_key(mode, data_dir),
        allowed_hosts=hosts,
        site_url=(_get("SAFEDESK_SITE_URL") or f"http://{host}:{port}").rstrip("/"),
        secure=_flag("SAFEDESK_SECURE"),
        database=database,
        redis_url=_get("REDIS_URL"),
        email_host=_get("SAFEDESK_EMAIL_HOST"),
        email_port=_int("SAFEDESK_EMAIL_PORT", 25),
        email_user=_get("SAFEDESK_EMAIL_USER"),
        email_password=_get("SAFEDESK_EMAIL_PASSWORD"),
        email_tls=_flag("SAFEDESK_EMAIL_TLS"),
        from_email=_get("SAFEDESK_FROM_EMAIL", "support@safedesk.localhost"),
        search_rate_per_minute=_int("SAFEDESK_SEARCH_RATE", 60),
        search_cache_seconds=_int("SAFEDESK_SEARCH_CACHE_SECONDS", 300),
        ticket_reopen_days=_int("SAFEDESK_TICKET_REOPEN_DAYS", 7),
        ticket_rate_per_hour=_int("SAFEDESK_TICKET_RATE", 20),
        guest_link_hours=_int("SAFEDESK_GUEST_LINK_HOURS", 24),
        trusted_proxy_count=_int("SAFEDESK_TRUSTED_PROXY_COUNT", 0),
        api_token_days=_int("SAFEDESK_API_TOKEN_DAYS", 90),
        api_token_max_days=_int("SAFEDESK_API_TOKEN_MAX_DAYS", 365),
        api_token_rate_per_minute=_int("SAFEDESK_API_TOKEN_RATE", 120),
        probe_threshold=_int("SAFEDESK_PROBE_THRESHOLD", 10),
        probe_window_seconds=_int("SAFEDESK_PROBE_WINDOW", 600),
        log_level=_get("SAFEDESK_LOG_LEVEL", "INFO") or "INFO",
        db_prepare_threshold=_int("SAFEDESK_DB_PREPARE_THRESHOLD", 5),
        upload_max_file_mb=_positive("SAFEDESK_UPLOAD_MAX_FILE_MB", 10),
        upload_max_message_mb=_positive("SAFEDESK_UPLOAD_MAX_MESSAGE_MB", 25),
        upload_max_files=_positive("SAFEDESK_UPLOAD_MAX_FILES", 10),
        upload_max_pixels=_positive("SAFEDESK_UPLOAD_MAX_PIXELS", 40_000_000),
        upload_zip_max_entries=_positive("SAFEDESK_UPLOAD_ZIP_MAX_ENTRIES", 1000),
        upload_zip_max_uncompressed_mb=_positive("SAFEDESK_UPLOAD_ZIP_MAX_UNCOMPRESSED_MB", 200),
        upload_max_text_kb=_positive("SAFEDESK_UPLOAD_MAX_TEXT_KB", 1024),
        upload_scanner=_get("SAFEDESK_UPLOAD_SCANNER"),
        files_origin=_origin("SAFEDESK_FILES_ORIGIN"),
        files_url_seconds=_positive("SAFEDESK_FILES_URL_SECONDS", 300),
        link_allowlist=tuple(
            h.strip().lower().rstrip(".") for h in _get("SAFEDESK_LINK_ALLOWLIST").split(",") if h.strip()
        ),
        verify_rate_per_minute=_int("SAFEDESK_VERIFY_RATE", 30),
        phone_region=(_get("SAFEDESK_PHONE_REGION", "CN") or "CN").upper(),
    )
