"""One settings module for every runtime mode; every value has its embedded default.

The embedded default (``make run``): SQLite under ``HITRECORD_DATA_DIR``, tasks in-process,
local media, a cache in files under the data dir, mail on the console. Set the variables of
DESIGN.md to run at scale: PostgreSQL, a Redis broker and cache, an S3-compatible media
store, SMTP.
"""

from __future__ import annotations

import logging

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF

from hitrecord.env import (
    BASE_DIR,
    data_dir,
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
)

django_stubs_ext.monkeypatch()  # lets Model/Admin/QuerySet take type arguments at run time

DATA_DIR = data_dir()

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise SystemExit(
            "DJANGO_SECRET_KEY is not set: production (DJANGO_DEBUG off) refuses to start "
            "without a secret key."
        )
    SECRET_KEY = "dev-only-insecure-key-used-while-DJANGO_DEBUG-is-on"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# Addresses or networks of the reverse proxy: only from these is X-Forwarded-For believed
# (sign-in throttling counts per client address).
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS", [])
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_FAILURE_WINDOW = env_int("SIGNIN_FAILURE_WINDOW", 900)
# Against guessing spread over many addresses: past this many failures for one account
# from all addresses in the window, only addresses that signed in to it before may try.
SIGNIN_ACCOUNT_FAILURE_LIMIT = env_int("SIGNIN_ACCOUNT_FAILURE_LIMIT", 50)
SIGNIN_ACCOUNT_FAILURE_WINDOW = env_int("SIGNIN_ACCOUNT_FAILURE_WINDOW", 3600)
SIGNIN_KNOWN_ADDRESS_DAYS = env_int("SIGNIN_KNOWN_ADDRESS_DAYS", 30)
# Rate limits ("count/second|minute|hour|day"): per person for writes, per target email
# and per client address for password-reset mail (see hitrecord/throttling.py).
THROTTLE_COMMENT = env_str("THROTTLE_COMMENT", "60/hour")
THROTTLE_CONTRIBUTION = env_str("THROTTLE_CONTRIBUTION", "30/hour")
THROTTLE_PROJECT = env_str("THROTTLE_PROJECT", "20/day")
THROTTLE_PASSWORD_RESET_EMAIL = env_str("THROTTLE_PASSWORD_RESET_EMAIL", "3/hour")
THROTTLE_PASSWORD_RESET_ADDRESS = env_str("THROTTLE_PASSWORD_RESET_ADDRESS", "10/hour")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "hitrecord",
    "accounts",
    "projects",
    "contributions",
    "payouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL in the address, query, cookies, headers or form fields: a 400, never a 500 later.
    "hitrecord.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The session, its person and their header in one cache round trip (hitrecord/prefetch.py).
    "hitrecord.prefetch.PrefetchMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp, its one header built once (hitrecord/security_headers.py)
    "hitrecord.security_headers.CSPMiddleware",
    "hitrecord.throttling.RateLimitMiddleware",
    # A number too large for the database in a form field (admin's too): a 400, not a 500.
    "hitrecord.middleware.ValueTooLargeMiddleware",
]

ROOT_URLCONF = "hitrecord.urls"
WSGI_APPLICATION = "hitrecord.wsgi.application"
ASGI_APPLICATION = "hitrecord.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.notifications",
            ],
        },
    }
]

# Database: SQLite in the data dir unless DATABASE_URL names another.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'hitrecord.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Waiting on a lock beats failing with "database is locked" under the dev server.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs far more than it saves on short web queries (lineage CTEs
    # on small tables were 100-490 ms slower with it).
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when CACHE_URL names one; otherwise files under the data dir, so that every
# process on the machine (each gunicorn worker, runserver, manage.py) shares one cache:
# sessions, cached fragments and their version tokens, and the throttles then agree across
# workers, which an in-process memory cache cannot give (hitrecord/filecache.py: an atomic
# incr that keeps its window, and culling past MAX_ENTRIES checked now and then).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "hitrecord.rediscache.SharedClientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "hitrecord",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if CACHE_URL
        else {
            "BACKEND": "hitrecord.filecache.SharedFileCache",
            "LOCATION": env_str("CACHE_DIR") or str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 50_000)},
        }
    )
}
# Sessions are read on every signed-in request: from the cache, written through to the
# database (so a cleared cache signs nobody out). Safe across workers because the cache
# above is shared by all of them. Django's cached_db store, read from the request's
# prefetch (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

AUTH_USER_MODEL = "accounts.User"
# The stock rules; the signed-in person comes from the shared cache (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are the site's own, served by WhiteNoise; media per the storage below.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# Without a collectstatic run (the embedded mode), files are found per request instead.
WHITENOISE_AUTOREFRESH = DEBUG or not STATIC_ROOT.is_dir()
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY") or None
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "us-east-1")
MEDIA_IN_S3 = bool(AWS_STORAGE_BUCKET_NAME)
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": AWS_S3_ENDPOINT_URL,
                "access_key": AWS_ACCESS_KEY_ID,
                "secret_key": AWS_SECRET_ACCESS_KEY,
                "region_name": AWS_S3_REGION_NAME,
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "signature_version": "s3v4",
                "addressing_style": "path",
                # Longer than any cached fragment holding these URLs lives (60 s).
                "querystring_expire": env_int("MEDIA_URL_SECONDS", 3600),
            },
        }
        if MEDIA_IN_S3
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
        }
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Large uploads stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None

# Mail: the console unless EMAIL_URL names an SMTP server.
globals().update(email_settings(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hitrecord <noreply@hitrecord.localhost>")
# Where the site is reached from outside: links in email are made absolute with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long a link to confirm an email address works, in seconds (3 days).
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)

# Tasks: in-process (eager, errors propagate) unless CELERY_BROKER_URL names a broker.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# No global acks_late: running a task again after its worker died is only safe when the
# task is idempotent, so each such task says acks_late=True, reject_on_worker_lost=True
# itself (hitrecord/tasks.py); any other task is acknowledged when it starts.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue per kind of work, each consumed by its own workers with their own concurrency
# (docker-compose.yml), so a payout or an email never waits behind a video transcode. The
# names live here only. The default queue keeps Celery's name, "celery": messages queued
# before the split are still consumed (worker-email takes it), and only tasks that are not
# ours (Celery's own) land there. A worker started without -Q consumes every queue (the
# worker tests do; `make worker` names them all); in the embedded mode (eager) routes
# change nothing.
TASK_QUEUE_MEDIA = "media"
TASK_QUEUE_PAYOUTS = "payouts"
TASK_QUEUE_EMAIL = "email"
TASK_QUEUE_DEFAULT = "celery"
TASK_QUEUES = (TASK_QUEUE_MEDIA, TASK_QUEUE_PAYOUTS, TASK_QUEUE_EMAIL, TASK_QUEUE_DEFAULT)
CELERY_TASK_DEFAULT_QUEUE = TASK_QUEUE_DEFAULT
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in TASK_QUEUES}
CELERY_TASK_ROUTES = {
    "contributions.tasks.*": {"queue": TASK_QUEUE_MEDIA},
    "payouts.tasks.*": {"queue": TASK_QUEUE_PAYOUTS},
    "accounts.tasks.*": {"queue": TASK_QUEUE_EMAIL},
}
# Redis hands an unacknowledged message (acks_late tasks) to another worker once it has
# been out this long, so it must exceed the longest a message stays unacknowledged: a
# retry waits in the worker for its countdown (ReliableTask's backoff, at most 600 s), then
# runs for up to its hard time limit: CELERY_TASK_TIME_LIMIT (360 s) for most tasks, and
# MEDIA_TASK_TIME_LIMIT (660 s) for the media task, so 600 + 660 = 1260 s at most; keep
# it above that if either limit grows. Shorter, and a task still waiting or running is
# delivered a second time. (The email tasks back off for up to 3 h, accounts/tasks.py:
# their last retries may be delivered twice, which they tolerate: a mail already sent is
# skipped, and a lease keeps two copies from sending at once.) It is also how long the
# task of a worker that died whole (kill -9, a lost machine) waits before it runs again.
# The worker tests set 5 s.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous writes answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "hitrecord.api.Pagination",
    # DRF's parsers, refusing JSON nested too deeply and NUL in text with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "hitrecord.parsers.SafeJSONParser",
        "hitrecord.parsers.SafeFormParser",
        "hitrecord.parsers.SafeMultiPartParser",
    ],
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hitrecord.api.exception_handler",
    # Counts by the trusted-proxy client address (IPv6 by /64) on the shared cache.
    "DEFAULT_THROTTLE_CLASSES": ["hitrecord.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "lineage": env_str("THROTTLE_LINEAGE", "60/min"),
        "split": env_str("THROTTLE_SPLIT", "60/min"),
        "signup": env_str("THROTTLE_SIGNUP", "20/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hitrecord API",
    "DESCRIPTION": "Make creative work together: projects, contributions with permanent "
    "lineage, final cuts and an exact, explainable payout rule.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MediumEnum": "accounts.models.Medium",
        "ContributionStatusEnum": "contributions.models.Contribution.Status",
        "ProjectStatusEnum": "projects.models.Project.Status",
        "FileKindEnum": ["image", "audio", "video"],
        "DistributionStatusEnum": "payouts.models.Distribution.Status",
        "PaymentStatusEnum": "payouts.models.DistributionLine.Payment",
    },
    # OpenAPI links from a created object to what can be done with it next.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hitrecord.openapi_links.add_links",
    ],
}

# Content-Security-Policy on every response: no inline script anywhere.
_MEDIA_ORIGINS = [AWS_S3_ENDPOINT_URL] if MEDIA_IN_S3 and AWS_S3_ENDPOINT_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *_MEDIA_ORIGINS],
        "connect-src": [SELF, *_MEDIA_ORIGINS],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *_MEDIA_ORIGINS],
    }
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = None  # no report-only policy

# Security: safe by default; behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Domain settings.
CONTRIBUTOR_TERMS_VERSION = "2026-11"
MEDIA_MAX_IMAGE_PIXELS = env_int("MEDIA_MAX_IMAGE_PIXELS", 50_000_000)
# Memory an image may take once decoded (pixels x channels x bytes per sample x frames),
# checked from its header before decoding: 50 megapixels of 8-bit RGBA fit, a 16-bit one
# of the same size does not.
MEDIA_MAX_IMAGE_DECODED_BYTES = env_int("MEDIA_MAX_IMAGE_DECODED_BYTES", 256 * 1024 * 1024)
# Audio and video (hitrecord/media/runner.py). The request only probes the container in a
# child process (at most MEDIA_PROBE_SECONDS and MEDIA_PROBE_BYTES); the processing task
# decodes it to the last frame and transcodes it in another child, limited to
# MEDIA_DECODE_MEMORY_BYTES of address space, MEDIA_DECODE_CPU_SECONDS of CPU time and
# MEDIA_DECODE_WALL_SECONDS on the clock, with MEDIA_DECODE_THREADS threads per codec.
# MEDIA_MAX_DURATION_SECONDS fits the media task's time limit on a 2-core machine: a
# minute of 720p camera-like video takes about 28 s to decode and transcode here (make
# bench; 14 s for clean footage, 40 s for very grainy), so 10 minutes take 2.5 to 7
# minutes, inside MEDIA_DECODE_WALL_SECONDS and the task's MEDIA_TASK_SOFT_TIME_LIMIT.
MEDIA_MAX_DURATION_SECONDS = env_int("MEDIA_MAX_DURATION_SECONDS", 10 * 60)
MEDIA_MAX_VIDEO_PIXELS = env_int("MEDIA_MAX_VIDEO_PIXELS", 4096 * 2304)
MEDIA_PROBE_SECONDS = env_int("MEDIA_PROBE_SECONDS", 10)
MEDIA_PROBE_BYTES = env_int("MEDIA_PROBE_BYTES", 5_000_000)
MEDIA_DECODE_MEMORY_BYTES = env_int("MEDIA_DECODE_MEMORY_BYTES", 2 * 1024 * 1024 * 1024)
MEDIA_DECODE_CPU_SECONDS = env_int("MEDIA_DECODE_CPU_SECONDS", 900)
MEDIA_DECODE_WALL_SECONDS = env_int("MEDIA_DECODE_WALL_SECONDS", 540)
MEDIA_DECODE_THREADS = env_int("MEDIA_DECODE_THREADS", 2)
MEDIA_TASK_SOFT_TIME_LIMIT = env_int("MEDIA_TASK_SOFT_TIME_LIMIT", 600)
MEDIA_TASK_TIME_LIMIT = env_int("MEDIA_TASK_TIME_LIMIT", 660)
MEDIA_MAX_BYTES = {
    "image": env_int("MEDIA_MAX_IMAGE_BYTES", 20 * 1024 * 1024),
    "audio": env_int("MEDIA_MAX_AUDIO_BYTES", 100 * 1024 * 1024),
    "video": env_int("MEDIA_MAX_VIDEO_BYTES", 1024 * 1024 * 1024),
}


def _client_errors_in_one_line(record: logging.LogRecord) -> bool:
    """Drop the traceback from a 4xx that ``django.request`` logs: Django attaches the
    exception to a raised ``PermissionDenied`` (and ``BadRequest``), but a refusal is the
    visitor's doing and its message says it all. Server errors (5xx) keep theirs."""
    if getattr(record, "status_code", 500) < 500:
        record.exc_info = None
        record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_in_one_line": {
            "()": "django.utils.log.CallbackFilter",
            "callback": _client_errors_in_one_line,
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own defaults give "django" a console handler of its own while debug is on
        # (and mail_admins, which has no ADMINS to mail), and it propagates here as well:
        # every record was written twice. One handler, the root's, at the root's level.
        "django": {"handlers": [], "level": "NOTSET", "propagate": True},
        "django.request": {"filters": ["client_errors_in_one_line"]},
        "django.server": {"level": "INFO"},
    },
}
