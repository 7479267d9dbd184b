"""The accounts API: the caller's notifications."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from rest_framework import generics, permissions, serializers

from accounts import selectors
from accounts.models import Notification, User


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "created_at", "read_at"]


class MyNotifications(generics.ListAPIView[Notification]):
    """What happened to the caller's work, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Notification]:
        user = cast(User, self.request.user)  # IsAuthenticated ran first
        return selectors.notification_list(user=user)
