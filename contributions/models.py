"""Contributions, the remix links between them (lineage), and feedback."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Medium
from projects.models import Call, Project

WEIGHT_DEFAULT = Decimal(1)


class Contribution(models.Model):
    class Kind(models.TextChoices):
        TEXT = Medium.TEXT.value, "Text"
        IMAGE = Medium.IMAGE.value, "Image"
        AUDIO = Medium.AUDIO.value, "Audio"
        VIDEO = Medium.VIDEO.value, "Video"

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        REJECTED = "rejected", "Rejected"

    class Step(models.TextChoices):
        QUEUED = "queued", "Waiting for its turn"
        CHECKING = "checking", "Checking the file to its last frame"
        RENDERING = "rendering", "Making a version that plays everywhere"
        STORING = "storing", "Storing the renditions"
        DONE = "done", "Done"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="contributions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions"
    )
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField(max_length=100_000, blank=True, help_text="Markdown (text kind).")
    text_html = models.TextField(blank=True, editable=False)
    file = models.FileField(upload_to="contributions/", blank=True, max_length=300)
    # The gallery picture: an image's thumbnail, a video's poster (a real frame) or an audio
    # file's waveform, drawn.
    thumbnail = models.ImageField(upload_to="contributions/thumbs/", blank=True, max_length=300)
    # What browsers play (audio: AAC in MP4; video: H.264 and AAC in MP4, at most 720p), made
    # by the processing task beside the original, which stays downloadable.
    rendition = models.FileField(upload_to="contributions/renditions/", blank=True, max_length=300)
    # Audio: the waveform peaks as a JSON file (the API's waveform URL) and in the row, where
    # pages draw them from without reading the store.
    waveform = models.FileField(upload_to="contributions/waveforms/", blank=True, max_length=300)
    waveform_peaks = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PROCESSING, db_index=True
    )
    # What processing is doing now, for the page that waits for it.
    processing_step = models.CharField(
        max_length=12, choices=Step.choices, default=Step.QUEUED, blank=True
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    withdrawn = models.BooleanField(default=False, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    removed = models.BooleanField(default=False, help_text="Taken down by staff.")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=500, blank=True)
    # Metadata read from the bytes.
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    detected_type = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    # The contributor terms accepted when the work was uploaded.
    terms_version = models.CharField(max_length=32)
    terms_accepted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["project", "status", "withdrawn"]),
            # The media view finds whose file a stored name is (contributions.access).
            models.Index(fields=["file"], name="contribution_file_idx"),
            models.Index(fields=["thumbnail"], name="contribution_thumbnail_idx"),
            models.Index(fields=["rendition"], name="contribution_rendition_idx"),
            models.Index(fields=["waveform"], name="contribution_waveform_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("contributions:detail", kwargs={"pk": self.pk})

    @property
    def is_visible(self) -> bool:
        """Shown in browsing: ready, not withdrawn, not taken down."""
        return self.status == self.Status.READY and not self.withdrawn and not self.removed


class Source(models.Model):
    """A remix link: ``contribution`` was built from ``source``, with a weight in (0, 10]
    saying how much of it was used, relative to the contribution's other sources. Fixed at
    creation; a source is always older than the remix, so the graph is acyclic."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="source_links"
    )
    source = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="remix_links")
    weight = models.DecimalField(max_digits=6, decimal_places=3, default=WEIGHT_DEFAULT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["contribution", "source"], name="source_once"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0, weight__lte=10), name="source_weight_0_10"
            ),
            models.CheckConstraint(
                condition=~models.Q(contribution=models.F("source")), name="source_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution_id} <- {self.source_id} ({self.weight})"


class Comment(models.Model):
    """Feedback on a contribution. Staff may hide one (audited)."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(max_length=5000)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} on {self.contribution_id}"
