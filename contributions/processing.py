"""Processing a media contribution after its upload: the only writes the media task makes.

The request stored the upload as received (or left a direct upload where the browser put
it in S3) after cheap checks. Here, in the worker, the stored bytes are read to a local
file and checked to the end:

- images: decoded fully by Pillow; the stored copy is the sanitized one (no metadata);
- audio and video: decoded to the last frame in a child process with memory and CPU
  limits (``hitrecord.media.runner``), which also makes the clean original (remuxed
  without container metadata), the rendition every browser plays, a poster from a real
  frame (video) and the waveform peaks (audio).

The outputs are stored under generated names beside the original, then a short
transaction swaps them in and marks the contribution ready; the raw upload is deleted. A
file the check refuses ends ``rejected`` with a reason its author reads on the page and in
a notification, and everything stored for it is deleted.

No row lock is held during the work: the row is read, the work done outside any
transaction, then a short transaction locks the row and checks it again (still
processing, the same upload, not taken down) before saving. If it changed meanwhile
(another run finished first, the author deleted it, staff took it down) the new files are
deleted and nothing is saved. Idempotent: running it twice, at the same time, or after a
worker died is harmless. Call it outside a transaction (the task does).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from accounts.models import Notification
from accounts.services import notify
from contributions.models import Contribution
from contributions.selectors import contribution_scope
from contributions.services import (
    contributions_changed,
    notify_call_answered,
    source_ids,
    stored_names,
)
from hitrecord import fragments
from hitrecord.media import (
    MediaRejected,
    check_image,
    generated_name,
    image_thumbnail,
    poster_file,
    runner,
    sha256_path,
    sniff,
)
from hitrecord.media.base import local_path, max_bytes
from hitrecord.media.waveform import waveform_picture

logger = logging.getLogger(__name__)

UNREADABLE = "The file could not be read from storage; upload it again."


@dataclass
class Made:
    """The files processing made, stored under generated names, and what they say."""

    original: str = ""
    thumbnail: str = ""
    rendition: str = ""
    waveform: str = ""
    peaks: list[float] = field(default_factory=list)
    size_bytes: int = 0
    sha256: str = ""
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    content_type: str = ""

    def names(self) -> list[str]:
        return [n for n in (self.original, self.thumbnail, self.rendition, self.waveform) if n]


def contribution_process(*, contribution_id: int) -> Contribution | None:
    """Check a processing contribution's upload to the end, make its renditions and
    thumbnail, and mark it ready; or reject it with a reason. Returns the contribution as
    this run left it, or None when there was nothing to do."""
    claimed = Contribution.objects.filter(
        pk=contribution_id, status=Contribution.Status.PROCESSING, removed=False
    ).first()
    if claimed is None or not claimed.file:
        return None
    storage = claimed.file.storage
    try:
        with _local_copy(claimed) as path:
            _step(claimed, Contribution.Step.CHECKING)
            made = _make(claimed, path, storage)
    except MediaRejected as exc:
        return _processing_reject(claimed=claimed, reason=exc.message)
    except FileNotFoundError:
        return _processing_reject(claimed=claimed, reason=UNREADABLE)
    with transaction.atomic():
        contribution = _still_processing(claimed)
        if contribution is not None:
            raw = contribution.file.name
            contribution.file.name = made.original
            contribution.thumbnail.name = made.thumbnail
            contribution.rendition.name = made.rendition
            contribution.waveform.name = made.waveform
            contribution.waveform_peaks = made.peaks
            contribution.size_bytes = made.size_bytes
            contribution.sha256 = made.sha256
            contribution.detected_type = made.content_type
            contribution.width = made.width
            contribution.height = made.height
            contribution.duration_ms = made.duration_ms
            contribution.status = Contribution.Status.READY
            contribution.processing_step = Contribution.Step.DONE
            contribution.save()
            contributions_changed([contribution], related_ids=source_ids(contribution))
            notify_call_answered(contribution)  # now the directors can look at it
    if contribution is None:  # another run or a take-down got there first
        _delete_best_effort(storage, made.names())
    elif raw != made.original:
        _delete_best_effort(storage, [raw])
    return contribution


@contextmanager
def _local_copy(claimed: Contribution) -> Iterator[Path]:
    """The stored upload as a local file: the file itself on local storage, a chunked
    download (bounded by the kind's size limit) from S3. FileNotFoundError if it is gone."""
    storage = claimed.file.storage
    with (
        storage.open(claimed.file.name, "rb") as stored,
        local_path(stored, limit=max_bytes(claimed.kind)) as path,
    ):
        yield Path(path)


def _step(claimed: Contribution, step: str) -> None:
    """Say what processing is doing now, for the page that waits for it."""
    Contribution.objects.filter(pk=claimed.pk, status=Contribution.Status.PROCESSING).update(
        processing_step=step
    )
    fragments.bump(contribution_scope(claimed.pk))


def _make(claimed: Contribution, path: Path, storage: Storage) -> Made:
    with open(path, "rb") as handle:
        fmt = sniff(handle.read(64 * 1024), claimed.kind, total=path.stat().st_size)
    made = Made(content_type=fmt.content_type)
    try:
        if claimed.kind == Contribution.Kind.IMAGE:
            _make_image(path, storage, made)
        else:
            with tempfile.TemporaryDirectory(prefix="hitrecord-media-") as outdir:
                _step(claimed, Contribution.Step.RENDERING)
                processed = runner.process(str(path), fmt, outdir=outdir)
                _step(claimed, Contribution.Step.STORING)
                _store_av(processed, fmt.extension, storage, made)
    except BaseException:
        _delete_best_effort(storage, made.names())
        raise
    return made


def _make_image(path: Path, storage: Storage, made: Made) -> None:
    with open(path, "rb") as handle:
        info = check_image(File(handle))
    clean = info.content or b""  # check_image always gives the bytes to store
    made.original = _save(storage, f"contributions/{generated_name(info.extension)}", clean)
    thumbnail = image_thumbnail(ContentFile(clean))
    made.thumbnail = _save(storage, f"contributions/thumbs/{thumbnail.name}", thumbnail)
    made.size_bytes = info.size_bytes
    made.sha256 = info.sha256
    made.width, made.height = info.width, info.height


def _store_av(processed: runner.Processed, extension: str, storage: Storage, made: Made) -> None:
    with open(processed.original, "rb") as original:
        made.original = _save(storage, f"contributions/{generated_name(extension)}", original)
    with open(processed.rendition, "rb") as rendition:
        name = f"contributions/renditions/{generated_name(processed.rendition.suffix)}"
        made.rendition = _save(storage, name, rendition)
    if processed.poster is not None:
        poster = poster_file(processed.poster)
        made.thumbnail = _save(storage, f"contributions/thumbs/{poster.name}", poster)
    if processed.peaks is not None:  # a recording: its waveform is its picture
        made.peaks = processed.peaks
        picture = waveform_picture(processed.peaks)
        made.thumbnail = _save(storage, f"contributions/thumbs/{picture.name}", picture)
        peaks = json.dumps({"version": 1, "points": len(made.peaks), "peaks": made.peaks})
        made.waveform = _save(
            storage,
            f"contributions/waveforms/{generated_name('.json')}",
            ContentFile(peaks.encode()),
        )
    made.size_bytes = processed.original.stat().st_size
    made.sha256 = sha256_path(processed.original)
    made.width, made.height = processed.width, processed.height
    made.duration_ms = processed.duration_ms


def _save(storage: Storage, name: str, content: bytes | File[bytes] | IO[bytes]) -> str:
    """Store ``content`` under ``name`` (the store may add to it to keep it unique)."""
    if isinstance(content, bytes):
        return storage.save(name, ContentFile(content))
    return storage.save(name, content if isinstance(content, File) else File(content))


def _still_processing(claimed: Contribution) -> Contribution | None:
    """Lock the row and return it if it is still the processing contribution ``claimed``
    read (same upload, not taken down); None otherwise."""
    current = Contribution.objects.select_for_update().filter(pk=claimed.pk).first()
    if (
        current is None
        or current.status != Contribution.Status.PROCESSING
        or current.removed
        or current.file.name != claimed.file.name
    ):
        return None
    return current


def _processing_reject(*, claimed: Contribution, reason: str) -> Contribution | None:
    """End processing as rejected (short transaction, state checked again), tell the
    author why, and delete the stored upload once that is committed."""
    with transaction.atomic():
        contribution = _still_processing(claimed)
        if contribution is None:
            return None
        names = _reject(contribution, reason)
    _delete_best_effort(claimed.file.storage, names)
    return contribution


def contribution_reject(*, contribution_id: int, reason: str) -> bool:
    """Mark a still-processing contribution rejected when processing gave up for good
    (retries ran out, the time limit passed, an unexpected error), with ``reason`` for its
    author, who is notified. Its stored files are deleted after the short transaction,
    best effort (the store may be the thing that is down; a file left behind is logged).
    Idempotent: returns whether this call rejected it."""
    with transaction.atomic():
        contribution = (
            Contribution.objects.select_for_update()
            .filter(pk=contribution_id, status=Contribution.Status.PROCESSING)
            .first()
        )
        if contribution is None:
            return False
        storage = contribution.file.storage
        names = _reject(contribution, reason)
    _delete_best_effort(storage, names)
    return True


def _reject(contribution: Contribution, reason: str) -> list[str]:
    """Inside the caller's transaction: the row rejected, the author told; returns the
    names of its stored files, for deleting after the commit."""
    names = stored_names(contribution)
    contribution.file = ""
    contribution.thumbnail = ""
    contribution.rendition = ""
    contribution.waveform = ""
    contribution.waveform_peaks = []
    contribution.status = Contribution.Status.REJECTED
    contribution.processing_step = ""
    contribution.rejection_reason = reason[:500]
    contribution.save()
    contributions_changed([contribution], related_ids=source_ids(contribution))
    notify(
        recipient=contribution.author,
        kind=Notification.Kind.UPLOAD,
        message=f"Your upload “{contribution.title}” could not be used: {reason[:300]}",
        url=contribution.get_absolute_url(),
    )
    return names


def _delete_best_effort(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete %s from the store; it is left behind", name)
