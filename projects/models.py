"""Projects, who belongs to them (directors and members), and their open calls."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from accounts.models import Medium

SHARE_DEFAULT = Decimal("0.50")
share_validators = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))]


class Project(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"  # anyone may join and contribute
        IN_PRODUCTION = "in_production", "In production"  # members contribute
        RELEASED = "released", "Released"  # the cut may still be relocked
        ARCHIVED = "archived", "Archived"  # read-only

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    brief = models.TextField(max_length=20_000, blank=True, help_text="Markdown.")
    brief_html = models.TextField(blank=True, editable=False)
    mediums = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    cover = models.ImageField(upload_to="covers/", blank=True)
    cover_thumbnail = models.ImageField(upload_to="covers/thumbs/", blank=True)
    contributor_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=SHARE_DEFAULT,
        validators=share_validators,
        help_text="Part of revenue that goes to contributors; set by staff.",
    )
    remix_upstream_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=SHARE_DEFAULT,
        validators=share_validators,
        help_text="Part of a remix's credit passed on to its sources; set by directors.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_projects"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contributor_share__gte=0, contributor_share__lte=1),
                name="project_contributor_share_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(remix_upstream_share__gte=0, remix_upstream_share__lte=1),
                name="project_remix_upstream_share_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", kwargs={"slug": self.slug})

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED


class Membership(models.Model):
    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        MEMBER = "member", "Member"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Call(models.Model):
    """An open call: "we need a cello line"."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="calls")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    medium = models.CharField(max_length=8, choices=Medium.choices)
    good_first = models.BooleanField(default=False, help_text="A good first call for newcomers.")
    is_open = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.project.get_absolute_url()}#call-{self.pk}"
