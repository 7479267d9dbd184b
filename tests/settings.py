"""Test settings: the same as every mode, plus what makes tests fast and self-contained."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from hitrecord.settings.base import *  # noqa: E402, F403
from hitrecord.settings.base import CACHES, MEDIA_IN_S3, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in tests, whatever CELERY_BROKER_URL says; the tests marked
# `worker` start a real `celery worker` process and switch this off for themselves.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests make many comments, contributions and projects per person; the tests of these
# limits lower them again with the `settings` fixture.
THROTTLE_COMMENT = "100000/hour"
THROTTLE_CONTRIBUTION = "100000/hour"
THROTTLE_PROJECT = "100000/hour"

# Media made by the tests lives in a throw-away folder, never in var/.
# (a worker process started by a test gets HITRECORD_DATA_DIR = MEDIA_ROOT.parent).
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="hitrecord-test-")) / "media"
MEDIA_ROOT.mkdir()
if not MEDIA_IN_S3:
    STORAGES = {
        **STORAGES,
        "default": {
            **STORAGES["default"],
            "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/media/"},
        },
    }
# The embedded file cache lives beside the media, in the same throw-away folder (a worker
# process started by a test shares it through HITRECORD_DATA_DIR).
if CACHES["default"]["BACKEND"].endswith("SharedFileCache"):
    CACHES = {"default": {**CACHES["default"], "LOCATION": str(MEDIA_ROOT.parent / "cache")}}
