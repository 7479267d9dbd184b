"""The site's URLs with one bench route in front: the baseline view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hitrecord.urls import urlpatterns as site_urlpatterns


def ok_view(request: HttpRequest) -> HttpResponse:
    """The cheapest page the site could serve; every middleware still runs around it."""
    return HttpResponse(b"ok")


urlpatterns = [
    path("bench/ok", ok_view, name="bench-ok"),
    *site_urlpatterns,
]
