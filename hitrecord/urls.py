from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.urls import auth_urlpatterns
from hitrecord import views
from hitrecord.search import api as search_api
from hitrecord.search import views as search_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/search/", search_api.Search.as_view(), name="api-search"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("projects.api_urls")),
    path("api/", include("contributions.api_urls")),
    path("api/", include("payouts.api_urls")),
    path("search/", search_views.search, name="search"),
    path("", include("accounts.urls")),
    path("", include(auth_urlpatterns)),
    path("", include("projects.urls")),
    path("", include("contributions.urls")),
    path("", include("payouts.urls")),
]

if not settings.MEDIA_IN_S3:
    # Local media (the embedded mode): served by Django with its real type and nosniff.
    urlpatterns += [
        re_path(r"^media/(?P<path>.+)$", views.media, name="media"),
    ]
