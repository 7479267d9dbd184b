from django.urls import path

from accounts import api

urlpatterns = [
    path("me/notifications/", api.MyNotifications.as_view(), name="api-notifications"),
]
