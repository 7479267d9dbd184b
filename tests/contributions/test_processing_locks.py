"""Processing holds no row lock and no transaction while it reads the stored upload,
decodes it, makes the thumbnail or renditions and stores them; it finishes in a short
transaction that checks the row again, so running twice, at once, or beside a take-down
or a delete is harmless and leaves no file behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections, transaction

from contributions import processing, services
from contributions.models import Contribution
from hitrecord.media import runner
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import stored_files
from tests.contributions.tasks_support import queued_contribution


def _row_is_free(pk: int) -> bool:
    """Whether another connection can lock the row right now (NOWAIT). SQLite has no row
    locks; there the check is that no transaction is open (the other assertions)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                list(Contribution.objects.select_for_update(nowait=True).filter(pk=pk))
            result.append(True)
        except DatabaseError:
            result.append(False)
        finally:
            connections.close_all()

    if connection.vendor != "postgresql":
        return True
    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(30)
    return result == [True]


@pytest.fixture
def io_watch(monkeypatch):
    """Record, at every storage read, write and delete and at each step of the work (the
    image's full decode, its thumbnail, the audio/video child), whether a transaction was
    open and whether the row was locked."""
    seen: list[tuple[str, bool, bool]] = []
    state = {"pk": None}

    def note(what: str) -> None:
        seen.append((what, connection.in_atomic_block, _row_is_free(state["pk"])))

    from django.core.files.storage import default_storage

    default_storage.exists("")  # set the lazy storage up; patch the real one
    storage = default_storage._wrapped

    def watch(owner, name: str, what: str) -> None:
        real = getattr(owner, name)

        def watched(*args, **kwargs):
            note(what)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, watched)

    watch(storage, "path", "read")  # a local upload is read where it is stored
    watch(storage, "open", "read")  # an upload in S3 is downloaded
    watch(storage, "save", "save")
    watch(storage, "delete", "delete")
    watch(processing, "check_image", "decode")
    watch(processing, "image_thumbnail", "thumbnail")
    watch(runner, "process", "decode")
    return seen, state


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("kind", "make", "steps"),
    [
        ("image", lambda: samples.png_bytes(120, 80), {"read", "decode", "thumbnail"}),
        ("audio", samples.wav_bytes, {"read", "decode"}),
        ("video", samples.mp4_bytes, {"read", "decode"}),
    ],
)
def test_no_transaction_or_row_lock_is_held_during_file_io(io_watch, kind, make, steps):
    seen, state = io_watch
    contribution = queued_contribution(make(), kind=kind)
    state["pk"] = contribution.pk
    seen.clear()  # only processing's I/O

    result = processing.contribution_process(contribution_id=contribution.pk)

    assert result is not None
    assert result.status == Contribution.Status.READY, result.rejection_reason
    assert [(what, atomic) for what, atomic, _ in seen if atomic] == []
    assert [what for what, _, free in seen if not free] == []
    # Everything was stored, and the raw upload deleted, outside any transaction.
    assert {what for what, _, _ in seen} == steps | {"save", "delete"}


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_held_while_a_bad_file_is_read(io_watch):
    seen, state = io_watch
    contribution = queued_contribution()
    Path(contribution.file.path).write_bytes(b"not the checked bytes")
    state["pk"] = contribution.pk
    seen.clear()
    result = processing.contribution_process(contribution_id=contribution.pk)
    assert result is not None
    assert result.status == Contribution.Status.REJECTED
    assert {what for what, _, _ in seen} >= {"read", "delete"}
    assert all(not atomic and free for _, atomic, free in seen)


@pytest.mark.django_db(transaction=True)
def test_a_bad_video_is_decoded_outside_any_transaction(io_watch):
    seen, state = io_watch
    contribution = queued_contribution(samples.mp4_bytes(), kind="video")
    Path(contribution.file.path).write_bytes(samples.garbage_after_header_mp4_bytes())
    state["pk"] = contribution.pk
    seen.clear()
    result = processing.contribution_process(contribution_id=contribution.pk)
    assert result is not None
    assert result.status == Contribution.Status.REJECTED
    assert {what for what, _, _ in seen} == {"read", "decode", "delete"}
    assert all(not atomic and free for _, atomic, free in seen)


def _during_thumbnail(monkeypatch, action):
    """Run ``action`` while processing is busy making the thumbnail (outside any lock),
    after it stored the clean original."""
    real = processing.image_thumbnail

    def busy(content):
        thumbnail = real(content)
        action()
        return thumbnail

    monkeypatch.setattr(processing, "image_thumbnail", busy)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_end_ready_with_one_set_of_files(monkeypatch):
    contribution = queued_contribution()
    upload = Path(contribution.file.path)
    before = set(stored_files())
    other: list[Contribution | None] = []
    real = processing.image_thumbnail
    calls = {"n": 0}

    def busy(content):
        calls["n"] += 1
        thumbnail = real(content)
        if calls["n"] == 1:
            # A second run (e.g. a redelivered task) starts and finishes meanwhile.
            other.append(processing.contribution_process(contribution_id=contribution.pk))
        return thumbnail

    monkeypatch.setattr(processing, "image_thumbnail", busy)
    first = processing.contribution_process(contribution_id=contribution.pk)

    assert other[0] is not None
    assert other[0].status == Contribution.Status.READY
    assert first is None  # it found the work done and kept nothing of its own
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.READY
    # The orphans of the losing run were deleted, and the raw upload with them.
    assert set(stored_files()) - before == {
        Path(contribution.file.path),
        Path(contribution.thumbnail.path),
    }
    assert not upload.exists()
    assert processing.contribution_process(contribution_id=contribution.pk) is None


@pytest.mark.django_db(transaction=True)
def test_a_take_down_during_processing_wins_and_leaves_no_file(monkeypatch):
    contribution = queued_contribution()
    upload = Path(contribution.file.path)
    before = set(stored_files())
    staff = UserFactory(is_staff=True)

    def take_down() -> None:
        services.contribution_take_down(
            contribution=Contribution.objects.get(pk=contribution.pk),
            by=staff,
            reason="rights complaint",
        )

    _during_thumbnail(monkeypatch, take_down)
    assert processing.contribution_process(contribution_id=contribution.pk) is None
    contribution.refresh_from_db()
    assert contribution.removed
    assert not contribution.file
    assert not contribution.thumbnail
    assert contribution.status != Contribution.Status.READY
    assert set(stored_files()) == before - {upload}


@pytest.mark.django_db(transaction=True)
def test_the_author_deleting_it_during_processing_leaves_no_file(monkeypatch):
    contribution = queued_contribution()
    upload = Path(contribution.file.path)
    before = set(stored_files())

    def delete() -> None:
        services.contribution_delete(
            contribution=Contribution.objects.get(pk=contribution.pk), by=contribution.author
        )

    _during_thumbnail(monkeypatch, delete)
    assert processing.contribution_process(contribution_id=contribution.pk) is None
    assert not Contribution.objects.filter(pk=contribution.pk).exists()
    assert set(stored_files()) == before - {upload}


@pytest.mark.django_db(transaction=True)
def test_bytes_replaced_in_the_store_after_the_check_are_never_served(monkeypatch):
    # The check read the upload; whatever is put under its name afterwards is deleted
    # with the raw upload, and the row names only the clean copy of what was checked.
    checked = samples.png_bytes(120, 80)
    contribution = queued_contribution(checked)
    upload = Path(contribution.file.path)
    _during_thumbnail(monkeypatch, lambda: upload.write_bytes(samples.svg_bytes()))
    result = processing.contribution_process(contribution_id=contribution.pk)
    assert result is not None
    assert result.status == Contribution.Status.READY
    assert not upload.exists()
    with result.file.open("rb") as served:
        assert served.read().startswith(b"\x89PNG")
    assert (result.width, result.height) == (120, 80)


@pytest.mark.django_db(transaction=True)
def test_a_row_that_changed_during_processing_is_not_marked_ready(monkeypatch):
    contribution = queued_contribution()
    before = set(stored_files())
    elsewhere = queued_contribution(samples.jpeg_bytes())

    def repoint() -> None:  # the row now names another upload: this run's work is stale
        Contribution.objects.filter(pk=contribution.pk).update(file=elsewhere.file.name)

    _during_thumbnail(monkeypatch, repoint)
    assert processing.contribution_process(contribution_id=contribution.pk) is None
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PROCESSING
    assert not contribution.thumbnail
    assert set(stored_files()) - before == {Path(elsewhere.file.path)}  # nothing of this run
