"""People, what happened to their work (notifications) and who did what (the audit log)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class Medium(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person. Usernames are unique regardless of case (a database constraint)."""

    bio = models.TextField(blank=True, max_length=2000)
    mediums = models.JSONField(default=list, blank=True, help_text="Mediums the person works in.")
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    avatar_thumbnail = models.ImageField(upload_to="avatars/thumbs/", blank=True)
    is_anonymised = models.BooleanField(default=False)

    objects: ClassVar[CaseInsensitiveUserManager] = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})

    @property
    def medium_labels(self) -> list[str]:
        """The mediums the person works in, as people read them ("Image", "Audio")."""
        labels = dict(Medium.choices)
        return [str(labels[m]) for m in self.mediums if m in labels]

    @property
    def display_name(self) -> str:
        if self.is_anonymised:
            return "former member"
        return self.get_full_name() or self.username


class AuditEntry(models.Model):
    """One line of the append-only audit log: who did what, to which object, when.

    Rows are never updated or deleted: the model refuses it and, on PostgreSQL and SQLite,
    so does a trigger (migration 0002).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("The audit log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("The audit log is append-only: entries cannot be deleted.")


class Notification(models.Model):
    """Something that happened to a person's work, shown in-app and sent by email."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        REMIXED = "remixed", "Your work was remixed"
        IN_CUT = "in_cut", "Your work is in a locked cut"
        PROPOSED = "proposed", "A distribution was proposed"
        PAID = "paid", "You were paid"
        CLAIM = "claim", "A claim was answered"
        PROJECT = "project", "Project news"
        MODERATION = "moderation", "Moderation"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.message}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
