from django.urls import path

from projects import api

urlpatterns = [
    path("projects/", api.ProjectListCreate.as_view(), name="api-projects"),
    path("projects/<slug:slug>/", api.ProjectDetail.as_view(), name="api-project"),
    path("projects/<slug:slug>/join/", api.ProjectJoin.as_view(), name="api-project-join"),
    path(
        "projects/<slug:slug>/directors/",
        api.ProjectDirectors.as_view(),
        name="api-project-directors",
    ),
    path("projects/<slug:slug>/calls/", api.ProjectCalls.as_view(), name="api-project-calls"),
    path(
        "projects/<slug:slug>/calls/<int:call_id>/",
        api.ProjectCallDetail.as_view(),
        name="api-project-call",
    ),
]
