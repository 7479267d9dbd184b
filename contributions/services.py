"""Every write about contributions: submitting, processing, remix links, withdrawing,
deleting, taking down, and feedback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify, notify_many
from contributions.models import WEIGHT_DEFAULT, Comment, Contribution, Source
from contributions.uploads import UPLOAD_PREFIX
from hitrecord import throttling
from hitrecord.errors import ConflictError
from hitrecord.markdown import render_markdown
from hitrecord.media import (
    MediaInfo,
    MediaRejected,
    audio_thumbnail,
    check_media,
    generated_name,
    image_thumbnail,
    sha256_of,
    video_poster,
)
from projects.models import Call, Membership, Project

logger = logging.getLogger(__name__)

WEIGHT_MAX = Decimal(10)


@dataclass(frozen=True)
class SourceSpec:
    """One requested source of a remix: which contribution, and how much of it was used."""

    contribution_id: int
    weight: Decimal = WEIGHT_DEFAULT


def parse_weight(raw: Any) -> Decimal:
    """A link weight from user input: a decimal in (0, 10] with at most 3 places."""
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        weight = Decimal(str(raw).strip()) if raw not in (None, "") else WEIGHT_DEFAULT
    except InvalidOperation:
        raise ValidationError({"sources": f"A weight must be a number; got {raw!r}."}) from None
    if not weight.is_finite() or weight <= 0 or weight > WEIGHT_MAX:
        raise ValidationError({"sources": "A weight must be more than 0 and at most 10."})
    if weight != weight.quantize(Decimal("0.001")):
        raise ValidationError({"sources": "A weight may have at most 3 decimal places."})
    return weight


def _require_member(*, user: User, project: Project) -> None:
    if project.is_archived:
        raise PermissionDenied("This project is archived: it takes no new contributions.")
    if not Membership.objects.filter(project=project, user=user).exists():
        raise PermissionDenied("Join the project first: only members contribute.")


def _resolve_sources(specs: Sequence[SourceSpec]) -> list[tuple[Contribution, Decimal]]:
    ids = [spec.contribution_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValidationError({"sources": "Each source may appear only once."})
    if len(ids) > 50:
        raise ValidationError({"sources": "A remix may have at most 50 sources."})
    found = Contribution.objects.select_related("author").in_bulk(ids)
    resolved: list[tuple[Contribution, Decimal]] = []
    for spec in specs:
        source = found.get(spec.contribution_id)
        if source is None:
            raise ValidationError(
                {"sources": f"Contribution {spec.contribution_id} does not exist."}
            )
        if source.removed or source.withdrawn or source.status != Contribution.Status.READY:
            state = (
                "withdrawn" if source.withdrawn else "removed" if source.removed else "not ready"
            )
            raise ValidationError(
                {"sources": f"Contribution {source.pk} is {state}; only ready work can be remixed."}
            )
        resolved.append((source, spec.weight))
    return resolved


def _validate_fields(*, title: str, kind: str, text: str, file: Any) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the contribution a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if kind not in Contribution.Kind.values:
        errors["kind"] = f"Kind must be one of {', '.join(Contribution.Kind.values)}."
    elif kind == Contribution.Kind.TEXT:
        if not text.strip():
            errors["text"] = "Write the text of your contribution."
        elif len(text) > 100_000:
            errors["text"] = "Texts may be at most 100,000 characters."
        if file:
            errors["file"] = "A text contribution has no file; choose image, audio or video."
    elif not file:
        errors["file"] = f"Attach the {kind} file."
    if errors:
        raise ValidationError(errors)


def contribution_submit(
    *,
    user: User,
    project: Project,
    title: str,
    kind: str,
    description: str = "",
    text: str = "",
    file: File[Any] | IO[bytes] | None = None,
    upload_key: str = "",
    call: Call | None = None,
    sources: Sequence[SourceSpec] = (),
    terms_accepted: bool = False,
) -> Contribution:
    """Create a contribution by a member of ``project``.

    Media is checked from its bytes before anything is stored, so a refused file leaves no
    row and no stored file behind. ``upload_key`` names a file the browser already put in
    the S3 store with a presigned POST; it is checked the same way and deleted if refused.
    Text is ready at once; media is ``processing`` until its task has made the thumbnail.
    Sources are fixed here for ever; their authors are notified. Atomic.
    """
    _require_member(user=user, project=project)
    if not terms_accepted:
        raise ValidationError({"terms": "Accept the contributor terms to share your work."})
    throttling.limit_action(action="contribution", user=user)
    submit = partial(
        _submit,
        user=user,
        project=project,
        title=title,
        kind=kind,
        description=description,
        text=text,
        call=call,
        sources=sources,
    )
    if not upload_key:
        return submit(file=file)
    incoming = _incoming_file(upload_key)
    try:
        return submit(file=incoming)
    finally:
        # Stored under its generated name, or refused: either way the incoming copy goes.
        incoming.close()
        default_storage.delete(upload_key)


def _submit(
    *,
    user: User,
    project: Project,
    title: str,
    kind: str,
    description: str,
    text: str,
    file: File[Any] | IO[bytes] | None,
    call: Call | None,
    sources: Sequence[SourceSpec],
) -> Contribution:
    _validate_fields(title=title, kind=kind, text=text, file=file)
    if len(description) > 5000:
        raise ValidationError({"description": "Keep the description under 5,000 characters."})
    if call is not None and call.project_id != project.pk:
        raise ValidationError({"call": "That call belongs to another project."})
    if call is not None and not call.is_open:
        raise ValidationError({"call": "That call is closed."})
    resolved = _resolve_sources(sources)

    info: MediaInfo | None = None
    if file is not None:
        try:
            info = check_media(file, kind=kind)
        except MediaRejected as exc:
            raise ValidationError({"file": exc.message}) from exc

    contribution = Contribution(
        project=project,
        author=user,
        call=call,
        title=title.strip(),
        description=description,
        kind=kind,
        terms_version=settings.CONTRIBUTOR_TERMS_VERSION,
        terms_accepted_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            if info is None:
                contribution.text = text
                contribution.text_html = render_markdown(text)
                contribution.status = Contribution.Status.READY
            else:
                _fill_metadata(contribution, info)
                contribution.status = Contribution.Status.PROCESSING
                contribution.file.save(
                    generated_name(info.extension), _checked_content(info, file), save=False
                )
            contribution.save()
            Source.objects.bulk_create(
                Source(contribution=contribution, source=source, weight=weight)
                for source, weight in resolved
            )
            _notify_remixed(contribution, [source for source, _ in resolved])
            if info is not None:
                from contributions.tasks import contribution_process

                transaction.on_commit(lambda: contribution_process.delay(contribution.pk))
    except Exception:
        # Nothing stays behind when the row was not written.
        if contribution.file and contribution.file.name:
            contribution.file.storage.delete(contribution.file.name)
        raise
    return contribution


def _incoming_file(upload_key: str) -> File[Any]:
    if not upload_key.startswith(UPLOAD_PREFIX) or ".." in upload_key:
        raise ValidationError({"upload_key": "That upload key was not issued by this site."})
    if not default_storage.exists(upload_key):
        raise ValidationError(
            {"upload_key": "No uploaded file under that key: upload it first, then submit."}
        )
    return default_storage.open(upload_key, "rb")


def _checked_content(info: MediaInfo, file: File[Any] | IO[bytes] | None) -> File[Any]:
    """What to store: an image as the check cleaned it (no metadata, nothing after its
    end; ``info.sha256`` is of these bytes), audio and video as uploaded."""
    if info.content is not None:
        return ContentFile(info.content)
    if file is None:
        raise ValueError("A checked file without content needs the upload it came from.")
    content = file if isinstance(file, File) else File(file)
    content.seek(0)
    return content


def _fill_metadata(contribution: Contribution, info: MediaInfo) -> None:
    contribution.size_bytes = info.size_bytes
    contribution.sha256 = info.sha256
    contribution.detected_type = info.content_type
    contribution.width = info.width
    contribution.height = info.height
    contribution.duration_ms = info.duration_ms


def _notify_remixed(remix: Contribution, sources: list[Contribution]) -> None:
    """Tell each source's author (once, never the remixer) that their work was remixed:
    one bulk write however many sources, then one fan-out email task on commit. The
    remixer is named by placeholder and shown with their name as it is when read."""
    first_work: dict[int, Contribution] = {}
    for source in sources:
        first_work.setdefault(source.author_id, source)
    if not first_work:
        return

    def message(person: User) -> str:
        title = first_work[person.pk].title
        return f"{Notification.ACTOR_PLACEHOLDER} remixed your “{title}” into “{remix.title}”."

    notify_many(
        recipients=[source.author for source in first_work.values()],
        kind=Notification.Kind.REMIXED,
        message=message,
        url=remix.get_absolute_url(),
        actor=remix.author,
    )


def contribution_process(*, contribution_id: int) -> Contribution | None:
    """Make a media contribution's thumbnail (a poster frame for video; a drawn card for
    audio) and mark it ready. The file was checked and measured when it was submitted;
    here its stored bytes are only compared with that check's sha256, so nothing is
    decoded twice, and a file lost or changed in the store ends rejected (its stored copy
    deleted) with a reason the author sees.

    No row lock is held while the file is read or the thumbnail made and stored: the row
    is read (no lock), the work done outside any transaction, then a short transaction
    locks the row and checks it again (still processing, same file, not taken down)
    before saving. If it changed meanwhile (another run finished first, the author
    deleted it, staff took it down) the new thumbnail is deleted and nothing is saved.
    Idempotent: running it twice, at the same time, or after a worker died is harmless.
    Call it outside a transaction (the task does) so that nothing is held during the I/O.
    Returns the contribution as this run left it, or None when there was nothing to do."""
    claimed = Contribution.objects.filter(
        pk=contribution_id, status=Contribution.Status.PROCESSING, removed=False
    ).first()
    if claimed is None or not claimed.file:
        return None
    try:
        with claimed.file.open("rb") as stored:
            if sha256_of(stored) != claimed.sha256:
                raise MediaRejected(
                    "The stored file is not the one that was checked; upload it again."
                )
            stored.seek(0)
            thumbnail = _thumbnail(claimed, stored)
    except (MediaRejected, FileNotFoundError) as exc:
        reason = (
            exc.message
            if isinstance(exc, MediaRejected)
            else "The file could not be read from storage; upload it again."
        )
        return _processing_reject(claimed=claimed, reason=reason)
    storage = claimed.thumbnail.storage
    thumbnail_name = storage.save(
        claimed.thumbnail.field.generate_filename(
            claimed, thumbnail.name or generated_name(".jpg")
        ),
        thumbnail,
    )
    with transaction.atomic():
        contribution = _still_processing(claimed)
        if contribution is not None:
            contribution.thumbnail = thumbnail_name
            contribution.status = Contribution.Status.READY
            contribution.save(update_fields=["thumbnail", "status", "updated_at"])
    if contribution is None:
        storage.delete(thumbnail_name)  # another run or a take-down got there first
    return contribution


def _still_processing(claimed: Contribution) -> Contribution | None:
    """Lock the row and return it if it is still the processing contribution ``claimed``
    read (same file, same checked bytes, not taken down); None otherwise."""
    current = Contribution.objects.select_for_update().filter(pk=claimed.pk).first()
    if (
        current is None
        or current.status != Contribution.Status.PROCESSING
        or current.removed
        or current.file.name != claimed.file.name
        or current.sha256 != claimed.sha256
    ):
        return None
    return current


def _processing_reject(*, claimed: Contribution, reason: str) -> Contribution | None:
    """End processing as rejected (short transaction, state checked again); the stored
    file is deleted once that is committed, outside the transaction."""
    with transaction.atomic():
        contribution = _still_processing(claimed)
        if contribution is None:
            return None
        name = contribution.file.name
        storage = contribution.file.storage
        contribution.file = ""
        contribution.status = Contribution.Status.REJECTED
        contribution.rejection_reason = reason[:500]
        contribution.save(update_fields=["file", "status", "rejection_reason", "updated_at"])
    # After the short transaction, not on the outer commit: if an outer transaction rolls
    # back, the row is processing again with no file, and the next run rejects it.
    _delete_files_best_effort(storage, [name])
    return contribution


def _thumbnail(contribution: Contribution, stored: File[Any]) -> ContentFile[bytes]:
    if contribution.kind == Contribution.Kind.IMAGE:
        return image_thumbnail(stored)
    if contribution.kind == Contribution.Kind.VIDEO:
        return video_poster(stored)
    info = MediaInfo(
        kind=contribution.kind,
        content_type=contribution.detected_type,
        extension="",
        size_bytes=contribution.size_bytes or 0,
        sha256=contribution.sha256,
        duration_ms=contribution.duration_ms,
    )
    return audio_thumbnail(info, title=contribution.title)


def contribution_reject(*, contribution_id: int, reason: str) -> bool:
    """Mark a still-processing contribution rejected when processing gave up for good
    (retries ran out, the time limit passed, an unexpected error), with ``reason`` for its
    author. Its stored file is deleted after the short transaction, best effort (the store
    may be the thing that is down; a file left behind is logged). Short transaction, idempotent:
    returns whether this call rejected it."""
    with transaction.atomic():
        contribution = (
            Contribution.objects.select_for_update()
            .filter(pk=contribution_id, status=Contribution.Status.PROCESSING)
            .first()
        )
        if contribution is None:
            return False
        name = contribution.file.name
        storage = contribution.file.storage
        contribution.file = ""
        contribution.status = Contribution.Status.REJECTED
        contribution.rejection_reason = reason[:500]
        contribution.save(update_fields=["file", "status", "rejection_reason", "updated_at"])
    if name:
        _delete_files_best_effort(storage, [name])
    return True


def _delete_files_best_effort(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete %s from the store; it is left behind", name)


def contribution_withdraw(*, contribution: Contribution, by: User) -> Contribution:
    """The author hides their contribution from browsing. It stays in every lineage picture
    (marked withdrawn) and in every payout. Idempotent; audited."""
    if contribution.author_id != by.pk:
        raise PermissionDenied("Only its author can withdraw a contribution.")
    if contribution.withdrawn:
        return contribution
    with transaction.atomic():
        contribution.withdrawn = True
        contribution.withdrawn_at = timezone.now()
        contribution.save(update_fields=["withdrawn", "withdrawn_at", "updated_at"])
        audit_record(actor=by, action="contribution.withdraw", target=contribution)
    return contribution


def contribution_delete(*, contribution: Contribution, by: User) -> None:
    """Delete a contribution outright, only while nothing uses it (no remix has it as a
    source, no locked cut holds it) and staff have not taken it down; otherwise
    ConflictError saying why. A taken-down contribution stays so that the record of the
    take-down (its node marked "removed", the audit entry, the author's notice) cannot be
    erased by its author. Its files go once the row is gone. Audited."""
    if contribution.author_id != by.pk:
        raise PermissionDenied("Only its author can delete a contribution.")
    if contribution.removed:
        raise ConflictError(
            "This contribution was taken down by staff. Its record stays (in the lineage and "
            "the moderation log), so it cannot be deleted; write to staff if you disagree."
        )
    if contribution.remix_links.exists():
        raise ConflictError(
            "Other work is built from this contribution, so it stays in the lineage: "
            "withdraw it instead."
        )
    names = [f.name for f in (contribution.file, contribution.thumbnail) if f and f.name]
    storage = contribution.file.storage
    try:
        with transaction.atomic():
            audit_record(
                actor=by,
                action="contribution.delete",
                target=contribution,
                details={"title": contribution.title, "project": contribution.project_id},
            )
            contribution.delete()
    except ProtectedError:
        raise ConflictError(
            "This contribution is used (by a remix or a locked cut), so it stays: "
            "withdraw it instead."
        ) from None
    transaction.on_commit(partial(_delete_files, storage, names))


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def contribution_take_down(*, contribution: Contribution, by: User, reason: str) -> Contribution:
    """Staff take a contribution down (a rights complaint): its media is removed, its node
    stays in the lineage as "removed" and its credit still counts. Audited; the author is told."""
    if not by.is_staff:
        raise PermissionDenied("Only staff can take a contribution down.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the contribution is taken down."})
    with transaction.atomic():
        names = [f.name for f in (contribution.file, contribution.thumbnail) if f and f.name]
        storage = contribution.file.storage
        contribution.removed = True
        contribution.removed_at = timezone.now()
        contribution.removed_reason = reason.strip()[:500]
        contribution.file = ""
        contribution.thumbnail = ""
        contribution.text = ""
        contribution.text_html = ""
        contribution.save()
        audit_record(
            actor=by,
            action="contribution.take_down",
            target=contribution,
            details={"reason": reason},
        )
        notify(
            recipient=contribution.author,
            kind=Notification.Kind.MODERATION,
            message=f"Your “{contribution.title}” was taken down: {reason.strip()[:300]}",
            url=contribution.get_absolute_url(),
        )
        transaction.on_commit(partial(_delete_files, storage, names))
    return contribution


def comment_create(*, contribution: Contribution, author: User, body: str) -> Comment:
    """Leave feedback on a contribution (signed-in people; not on removed work)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something before posting."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep feedback under 5,000 characters."})
    if contribution.removed:
        raise PermissionDenied("This contribution was taken down; it takes no feedback.")
    throttling.limit_action(action="comment", user=author)
    return Comment.objects.create(contribution=contribution, author=author, body=body)


def comment_hide(*, comment: Comment, by: User, reason: str = "") -> Comment:
    """Staff hide a comment from everyone. Idempotent; audited."""
    if not by.is_staff:
        raise PermissionDenied("Only staff can hide comments.")
    if comment.hidden:
        return comment
    with transaction.atomic():
        comment.hidden = True
        comment.save(update_fields=["hidden"])
        audit_record(
            actor=by,
            action="comment.hide",
            target=comment,
            details={"contribution": comment.contribution_id, "reason": reason},
        )
    return comment


def source_add_missing(
    *, contribution: Contribution, source: Contribution, weight: Any, by: User, claim: Any
) -> Source:
    """Staff settle an accepted payout claim ("my work is missing") by appending one source
    link to ``contribution``: it was built from ``source`` too, with ``weight`` (parsed by
    :func:`parse_weight`). Nothing else about the remix changes.

    The source must be older than the remix, by creation time and by id, so every link
    points from newer to older work and no cycle can ever be made. Refuses a contribution
    as its own source, a link that already exists (``ConflictError``; also when two staff
    add it at once, through the database's unique constraint), a source that is not ready
    or withdrawn, and a ``claim`` (a ``payouts.Claim``) that is not accepted. Staff only.
    Atomic: the remix row is locked while the link is written; audited with the claim.
    Locked versions keep the credits they were computed with; the link counts from the next
    version's credits on."""
    from payouts.models import Claim

    if not getattr(by, "is_authenticated", False) or not by.is_staff:
        raise PermissionDenied("Only staff add a missing source.")
    if not isinstance(claim, Claim) or claim.status != Claim.Status.ACCEPTED:
        raise ConflictError("Only an accepted claim is settled by adding a missing source.")
    try:
        parsed = parse_weight(weight)
    except ValidationError as error:
        raise ValidationError({"weight": error.message_dict["sources"]}) from None
    if source.pk == contribution.pk:
        raise ValidationError({"source": "A contribution cannot be its own source."})
    if source.created_at > contribution.created_at or source.pk > contribution.pk:
        raise ValidationError(
            {
                "source": f"Contribution {source.pk} is newer than the remix {contribution.pk}: "
                "a source must be older than the work built from it, so no cycle can be made."
            }
        )
    if source.withdrawn or source.status != Contribution.Status.READY:
        raise ValidationError(
            {"source": f"Contribution {source.pk} is withdrawn or not ready: not a source."}
        )
    with transaction.atomic():
        remix = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if Source.objects.filter(contribution=remix, source=source).exists():
            raise ConflictError(f"Contribution {source.pk} is already a source of {remix.pk}.")
        try:
            with transaction.atomic():
                link = Source.objects.create(contribution=remix, source=source, weight=parsed)
        except IntegrityError:
            raise ConflictError(
                f"Contribution {source.pk} is already a source of {remix.pk}."
            ) from None
        audit_record(
            actor=by,
            action="contribution.source_add_missing",
            target=remix,
            details={"source": source.pk, "weight": str(parsed), "claim": claim.pk},
        )
    return link
