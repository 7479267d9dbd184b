"""WSGI entry point, served by gunicorn at scale."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitrecord.settings")

application = get_wsgi_application()
