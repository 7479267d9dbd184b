"""Bench-only settings: production settings (DEBUG off) plus the bench's own URLs.

``bench/run.py`` sets the environment (a fresh secret key, ``DJANGO_DEBUG=0``,
``DJANGO_ALLOWED_HOSTS=127.0.0.1``, ``DJANGO_SECURE_SSL_REDIRECT=0`` and a throw-away
``HITRECORD_DATA_DIR``) before anything imports this module, for itself, ``manage.py
migrate`` and gunicorn alike. Production never imports it, so the bench route
``/bench/ok`` exists only here.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = {"DJANGO_DEBUG": "0", "DJANGO_SECURE_SSL_REDIRECT": "0"}
for _name, _value in _REQUIRED.items():
    if os.environ.get(_name) != _value:
        raise ImproperlyConfigured(f"bench settings need {_name}={_value}; run bench/run.py")
if not os.environ.get("HITRECORD_DATA_DIR"):
    raise ImproperlyConfigured(
        "bench settings need a throw-away HITRECORD_DATA_DIR; run bench/run.py"
    )

from hitrecord.settings.base import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"

# The lineage and split-preview API rows load those endpoints from one address far past
# their production rates (60/min): lift the two throttles for the bench only. The other
# scopes (sign-up) keep theirs; production settings are untouched.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "lineage": None,
        "split": None,
    },
}
