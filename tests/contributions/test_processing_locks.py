"""Processing holds no row lock and no transaction while it reads the stored file or
makes and stores the thumbnail; it finishes in a short transaction that checks the row
again, so running twice, at once, or beside a take-down is harmless."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from contributions import services
from contributions.models import Contribution
from tests.accounts.factories import UserFactory
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
    """Record, at every storage read and write and at the thumbnail step, whether a
    transaction was open and whether the row was locked."""
    seen: list[tuple[str, bool, bool]] = []
    state = {"pk": None}

    def note(what: str) -> None:
        seen.append((what, connection.in_atomic_block, _row_is_free(state["pk"])))

    from django.core.files.storage import default_storage

    default_storage.exists("")  # set the lazy storage up; patch the real one
    storage = default_storage._wrapped
    real_open, real_save = storage.open, storage.save
    real_thumbnail = services._thumbnail

    def watched_open(name, mode="rb"):
        note("open")
        return real_open(name, mode)

    def watched_save(name, content, max_length=None):
        note("save")
        return real_save(name, content, max_length=max_length)

    def watched_thumbnail(contribution, stored):
        note("thumbnail")
        return real_thumbnail(contribution, stored)

    monkeypatch.setattr(storage, "open", watched_open)
    monkeypatch.setattr(storage, "save", watched_save)
    monkeypatch.setattr(services, "_thumbnail", watched_thumbnail)
    return seen, state


@pytest.mark.django_db(transaction=True)
def test_no_transaction_or_row_lock_is_held_during_file_io(io_watch):
    seen, state = io_watch
    contribution = queued_contribution()
    state["pk"] = contribution.pk
    seen.clear()  # only processing's I/O

    result = services.contribution_process(contribution_id=contribution.pk)

    assert result is not None
    assert result.status == Contribution.Status.READY
    assert [(what, atomic) for what, atomic, _ in seen if atomic] == []
    assert [what for what, _, free in seen if not free] == []
    assert {what for what, _, _ in seen} == {"open", "save", "thumbnail"}


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_held_while_a_bad_file_is_read(io_watch):
    seen, state = io_watch
    contribution = queued_contribution()
    contribution.file.storage.delete(contribution.file.name)
    with contribution.file.storage.open(contribution.file.name, "wb") as f:
        f.write(b"not the checked bytes")
    state["pk"] = contribution.pk
    seen.clear()
    result = services.contribution_process(contribution_id=contribution.pk)
    assert result is not None
    assert result.status == Contribution.Status.REJECTED
    assert seen
    assert all(not atomic and free for _, atomic, free in seen)


def _during_thumbnail(monkeypatch, action):
    """Run ``action`` while processing is busy making the thumbnail (outside any lock)."""
    real = services._thumbnail

    def busy(contribution, stored):
        thumbnail = real(contribution, stored)
        action()
        return thumbnail

    monkeypatch.setattr(services, "_thumbnail", busy)


def _thumbnails_on_disk(contribution: Contribution) -> list[str]:
    storage = contribution.thumbnail.storage
    _dirs, files = storage.listdir("contributions/thumbs")
    return sorted(files)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_end_ready_with_one_thumbnail(monkeypatch):
    contribution = queued_contribution()
    before = set(_thumbnails_on_disk(contribution)) if _exists_thumbs(contribution) else set()
    other: list[Contribution | None] = []
    real = services._thumbnail
    calls = {"n": 0}

    def busy(c, stored):
        calls["n"] += 1
        thumbnail = real(c, stored)
        if calls["n"] == 1:
            # A second run (e.g. a redelivered task) starts and finishes meanwhile.
            other.append(services.contribution_process(contribution_id=contribution.pk))
        return thumbnail

    monkeypatch.setattr(services, "_thumbnail", busy)
    first = services.contribution_process(contribution_id=contribution.pk)

    assert other[0] is not None
    assert other[0].status == Contribution.Status.READY
    assert first is None  # it found the work done and kept nothing of its own
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.READY
    new = set(_thumbnails_on_disk(contribution)) - before
    assert new == {contribution.thumbnail.name.rsplit("/", 1)[1]}  # the orphan was deleted
    assert services.contribution_process(contribution_id=contribution.pk) is None


def _exists_thumbs(contribution: Contribution) -> bool:
    return contribution.thumbnail.storage.exists("contributions/thumbs")


@pytest.mark.django_db(transaction=True)
def test_a_take_down_during_processing_wins_and_leaves_no_thumbnail(monkeypatch):
    contribution = queued_contribution()
    before = set(_thumbnails_on_disk(contribution)) if _exists_thumbs(contribution) else set()
    staff = UserFactory(is_staff=True)

    def take_down() -> None:
        services.contribution_take_down(
            contribution=Contribution.objects.get(pk=contribution.pk),
            by=staff,
            reason="rights complaint",
        )

    _during_thumbnail(monkeypatch, take_down)
    assert services.contribution_process(contribution_id=contribution.pk) is None
    contribution.refresh_from_db()
    assert contribution.removed
    assert not contribution.thumbnail
    assert contribution.status != Contribution.Status.READY
    assert set(_thumbnails_on_disk(contribution)) - before == set()


@pytest.mark.django_db(transaction=True)
def test_a_file_replaced_during_processing_is_not_marked_ready(monkeypatch):
    contribution = queued_contribution()

    def replace() -> None:
        Contribution.objects.filter(pk=contribution.pk).update(sha256="0" * 64)

    _during_thumbnail(monkeypatch, replace)
    assert services.contribution_process(contribution_id=contribution.pk) is None
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PROCESSING
    assert not contribution.thumbnail
