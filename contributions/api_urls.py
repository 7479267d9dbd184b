from django.urls import path

from contributions import api

urlpatterns = [
    path("contributions/", api.ContributionListCreate.as_view(), name="api-contributions"),
    path("contributions/uploads/", api.DirectUpload.as_view(), name="api-contribution-upload"),
    path("contributions/<int:pk>/", api.ContributionDetail.as_view(), name="api-contribution"),
    path(
        "contributions/<int:pk>/withdraw/",
        api.ContributionWithdraw.as_view(),
        name="api-contribution-withdraw",
    ),
    path(
        "contributions/<int:pk>/lineage/",
        api.ContributionLineage.as_view(),
        name="api-contribution-lineage",
    ),
    path(
        "contributions/<int:pk>/comments/",
        api.ContributionComments.as_view(),
        name="api-contribution-comments",
    ),
]
