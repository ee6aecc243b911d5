"""Django settings, derived once from safedesk.conf (the only reader of the environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from safedesk import conf

CONFIG = conf.load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
SAFEDESK_MODE = CONFIG.mode

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
if CONFIG.files_origin:
    # The files origin is served by the same processes (lib.middleware.FilesHostMiddleware).
    ALLOWED_HOSTS.append(urlsplit(CONFIG.files_origin).hostname or "")
SITE_URL = CONFIG.site_url
SAFEDESK_TRUSTED_PROXY_COUNT = CONFIG.trusted_proxy_count
SAFEDESK_SEARCH_RATE_PER_MINUTE = CONFIG.search_rate_per_minute
SAFEDESK_SEARCH_CACHE_SECONDS = CONFIG.search_cache_seconds
SAFEDESK_TICKET_REOPEN_DAYS = CONFIG.ticket_reopen_days
SAFEDESK_TICKET_RATE_PER_HOUR = CONFIG.ticket_rate_per_hour
SAFEDESK_GUEST_LINK_HOURS = CONFIG.guest_link_hours
SAFEDESK_API_TOKEN_DAYS = CONFIG.api_token_days
SAFEDESK_API_TOKEN_MAX_DAYS = CONFIG.api_token_max_days
SAFEDESK_API_TOKEN_RATE_PER_MINUTE = CONFIG.api_token_rate_per_minute
SAFEDESK_PROBE_THRESHOLD = CONFIG.probe_threshold
SAFEDESK_PROBE_WINDOW_SECONDS = CONFIG.probe_window_seconds
# Attachments (safedesk.lib.uploads): limits, the optional malware scanner and the files origin.
SAFEDESK_UPLOAD_MAX_FILE_BYTES = CONFIG.upload_max_file_mb * 1024 * 1024
SAFEDESK_UPLOAD_MAX_MESSAGE_BYTES = CONFIG.upload_max_message_mb * 1024 * 1024
SAFEDESK_UPLOAD_MAX_FILES = CONFIG.upload_max_files
SAFEDESK_UPLOAD_MAX_PIXELS = CONFIG.upload_max_pixels
SAFEDESK_UPLOAD_ZIP_MAX_ENTRIES = CONFIG.upload_zip_max_entries
SAFEDESK_UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = CONFIG.upload_zip_max_uncompressed_mb * 1024 * 1024
SAFEDESK_UPLOAD_MAX_TEXT_BYTES = CONFIG.upload_max_text_kb * 1024
SAFEDESK_UPLOAD_SCANNER = CONFIG.upload_scanner
SAFEDESK_FILES_ORIGIN = CONFIG.files_origin
SAFEDESK_LINK_ALLOWLIST = CONFIG.link_allowlist
SAFEDESK_VERIFY_RATE = CONFIG.verify_rate_per_minute
SAFEDESK_PHONE_REGION = CONFIG.phone_region
SAFEDESK_FILES_URL_SECONDS = CONFIG.files_url_seconds

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "ninja",
    "channels",
    # safedesk, in layering order (see ARCHITECTURE.md)
    "safedesk.lib",
    "safedesk.audit",
    "safedesk.realtime",
    "safedesk.jobs",
    "safedesk.search",
    "safedesk.accounts",
    "safedesk.safety",
    "safedesk.helpcenter",
    "safedesk.tickets",
    "safedesk.api",
    "safedesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "safedesk.lib.middleware.SecurityHeadersMiddleware",
    "safedesk.lib.middleware.FilesHostMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safedesk.accounts.middleware.SessionDeviceMiddleware",
    "safedesk.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safedesk.safety.middleware.SecretNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "safedesk.lib.middleware.SafedeskErrorMiddleware",
    # After the error middleware, so that it sees a refusal first (exceptions travel upwards).
    "safedesk.audit.middleware.AccessProbeMiddleware",
    # axes must be last: it turns lockouts into responses
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safedesk.urls"
WSGI_APPLICATION = "safedesk.wsgi.application"
ASGI_APPLICATION = "safedesk.asgi.application"

# templates.W003 flags the deliberate `i18n` and `static` mappings below; safedesk.W004
# (lib/checks.py) reports any other template-library name that two modules claim.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safedesk.lib.context_processors.site",
            ],
            # Faster {% url %} and |date with the same output (see the module).
            "builtins": ["safedesk.lib.templatetags.speed"],
            # {% load i18n %} with a {% translate %} that keeps each literal's output (see it).
            "libraries": {
                "i18n": "safedesk.lib.templatetags.fast_i18n",
                # {% load static %} with a {% static %} that remembers each path's URL (see it).
                "static": "safedesk.lib.templatetags.fast_static",
            },
        },
    }
]

_db = CONFIG.database
DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        # PostgreSQL through Django's backend with timestamps parsed by psycopg's compiled loader
        # (safedesk/lib/postgresql/base.py).
        "ENGINE": "safedesk.lib.postgresql" if _db.engine == "django.db.backends.postgresql" else _db.engine,
        "NAME": _db.name,
    }
}
if _db.engine.endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=134217728;"
        ),
    }
    # Keep the connection: opening one and running the PRAGMAs above cost ~6 ms per request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["TEST"] = {"NAME": ""}
else:
    DATABASES["default"].update(
        {
            "USER": _db.user,
            "PASSWORD": _db.password,
            "HOST": _db.host,
            "PORT": _db.port,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": dict(_db.options),
        }
    )
    if CONFIG.db_prepare_threshold > 0:
        # Parameters bound on the server, and a statement run this often on one connection is
        # prepared there: PostgreSQL then plans it once instead of on every request, which halves
        # its CPU per page (docs/decisions/0005-postgresql-prepared-statements.md).
        DATABASES["default"]["OPTIONS"].update(
            {"server_side_binding": True, "prepare_threshold": CONFIG.db_prepare_threshold}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "safedesk.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "helpcenter:home"
LOGOUT_REDIRECT_URL = "helpcenter:home"

# Login throttling: per account and per address, with a back-off instead of a permanent lock.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "safedesk.accounts.views.lockout_response"
AXES_IPWARE_PROXY_COUNT = CONFIG.trusted_proxy_count or None
AXES_VERBOSE = False
# Lower-cases the email so that changing its case does not reset the per-account limit.
AXES_USERNAME_CALLABLE = "safedesk.accounts.views.axes_username"
OTP_TOTP_ISSUER = "safedesk"
PASSWORD_RESET_TIMEOUT = 2 * 3600

if CONFIG.embedded and not CONFIG.redis_url:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "safedesk",
            # Sessions are read through this cache (SESSION_ENGINE cached_db): room for a busy
            # desk's agents and customers; a culled entry costs one database read.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CACHES = {"default": {"BACKEND": "safedesk.lib.cache.RedisCache", "LOCATION": CONFIG.redis_url}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CONFIG.redis_url], "capacity": 1000, "group_expiry": 86400},
        }
    }

# Sessions live in the database. With the in-process cache (embedded) they are also read
# through it: one query less on every signed-in request. Scaled out they are not, so that a
# Redis outage neither fails every signed-in page nor, on a failed cache delete, lets a
# signed-out session come back from Redis later (CASES.md F2).
SESSION_ENGINE = (
    "safedesk.accounts.sessions.cached_db"
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else "safedesk.accounts.sessions.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CONFIG.secure:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Form fields other than files (files are bounded by the upload handler below).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# More files than one message may carry is refused while parsing (400 too_many_files): a request
# with 2,000 tiny files stores nothing and costs little.
DATA_UPLOAD_MAX_NUMBER_FILES = CONFIG.upload_max_files
# Files up to this size stay in memory while a request is parsed; larger ones go to a temporary
# file. The bounded handler comes first and refuses what is over the per-file or per-message limit.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "safedesk.lib.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Stored files are readable by the service user and its group only (never world-readable).
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

TASKS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "safedesk.jobs.backend.DatabaseBackend", "QUEUES": ["default", "email"]}
}

if CONFIG.email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.email_host
    EMAIL_PORT = CONFIG.email_port
    EMAIL_HOST_USER = CONFIG.email_user
    EMAIL_HOST_PASSWORD = CONFIG.email_password
    EMAIL_USE_TLS = CONFIG.email_tls
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = CONFIG.from_email
SERVER_EMAIL = CONFIG.from_email

LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "safedesk_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
# Nothing serves MEDIA_URL: attachments leave only through the authorising download views.
MEDIA_URL = "/media-not-served/"
# Attachments go through Django's storage API; scale-out swaps the default backend for an
# S3-compatible one (django-storages) here without touching the code that stores files.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every record passes the secret shield before it is written (safety.logfilter).
    "filters": {"shield": {"()": "safedesk.safety.logfilter.ShieldFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["shield"]}},
    "loggers": {
        "safedesk": {"handlers": ["console"], "level": CONFIG.log_level},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "jieba": {"level": "WARNING"},
    },
}
