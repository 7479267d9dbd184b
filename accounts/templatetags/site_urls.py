"""``{% site_url %}``: the site's address (``settings.SITE_URL``) for links in email, which
are read outside the site and so must be absolute."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")
