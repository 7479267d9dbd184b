"""People, what happened to their work (notifications) and who did what (the audit log)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.usernames import lookup_key


class Medium(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        """The account ``username`` names, compared as ``usernames.lookup_key`` says (the
        sign-in throttle keys use the same form), so ``admın`` or ``tomaſ`` find nobody
        even where the database's own case folding would map them to ``admin``/``tomas``."""
        key = lookup_key(username or "")
        if key is None:
            raise self.model.DoesNotExist("No account has that username.")
        return self.alias(username_key=Lower("username")).get(username_key=key)


class User(AbstractUser):
    """A person. Usernames are unique regardless of case (a database constraint)."""

    bio = models.TextField(blank=True, max_length=2000)
    mediums = models.JSONField(default=list, blank=True, help_text="Mediums the person works in.")
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    avatar_thumbnail = models.ImageField(upload_to="avatars/thumbs/", blank=True)
    is_anonymised = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person followed the link sent to their email."
    )

    objects: ClassVar[CaseInsensitiveUserManager] = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
            ),
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
    def email_verified(self) -> bool:
        return bool(self.email) and self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        if self.is_anonymised:
            return "former member"
        return self.get_full_name() or self.username


class RetiredUsername(models.Model):
    """A username that belonged to a deleted account and is never given out again, so old
    notifications, credits and links never point at someone else. Stored canonical
    (``accounts.usernames.canonical``)."""

    username = models.CharField(max_length=150, unique=True)
    retired_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.username


# Models whose text (``str()``) names a person: the audit log stores them by id only.
PERSON_TARGET_TYPES = frozenset({"accounts.user", "projects.membership", "contributions.comment"})


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
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_shown}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("The audit log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("The audit log is append-only: entries cannot be deleted.")

    @property
    def target_shown(self) -> str:
        """The target as pages show it. A person is shown by id: rows written before
        ``audit_record`` stopped storing names still hold one, and a deleted person's
        former name is never shown again."""
        if self.target_type in PERSON_TARGET_TYPES:
            return f"{self.target_type.rsplit('.', 1)[-1]} #{self.target_id}"
        return self.target_repr


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
        UPLOAD = "upload", "About your upload"
        COMMENTED = "commented", "Feedback on your work"
        JOINED = "joined", "Someone joined your project"
        CALL_ANSWERED = "call_answered", "Your call was answered"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Who caused it, when a person did: the message is shown with their name as it is now,
    # so a deleted account's former name never reappears ("former member" instead).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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

    ACTOR_PLACEHOLDER = "{actor}"

    @property
    def text(self) -> str:
        """The message as people read it: the first ``{actor}`` becomes the actor's name as
        it is now ("Former member" once they deleted their account), so a deleted person's
        former name never reappears. Load ``actor`` with the notification
        (``select_related``) when rendering many."""
        placeholder = self.ACTOR_PLACEHOLDER
        if placeholder not in self.message:
            return self.message
        actor = self.actor if self.actor_id is not None else None
        name = actor.display_name if actor is not None else "former member"
        if self.message.startswith(placeholder) and (actor is None or actor.is_anonymised):
            name = name[:1].upper() + name[1:]
        return self.message.replace(placeholder, name, 1)
