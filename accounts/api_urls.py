from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register/", api.Register.as_view(), name="api-register"),
    path("auth/token/", api.TokenCreate.as_view(), name="api-token"),
    path("me/notifications/", api.MyNotifications.as_view(), name="api-notifications"),
]
