"""Every write about contributions: submitting, processing, remix links, withdrawing,
deleting, taking down, and feedback."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import Notification, User
from accounts.selectors import person_scope
from accounts.services import audit_record, notify, notify_many, notify_project_directors
from contributions.models import WEIGHT_DEFAULT, Comment, Contribution, Source
from contributions.selectors import COMMENTS_PAGE_SIZE, contribution_scope
from contributions.uploads import UPLOAD_PREFIX
from hitrecord import fragments, throttling
from hitrecord.errors import ConflictError
from hitrecord.markdown import render_markdown
from hitrecord.media import MediaInfo, MediaRejected, generated_name, precheck_head, precheck_media
from hitrecord.media.checks import HEAD_BYTES
from projects.models import Call, Membership, Project
from projects.selectors import project_scope

logger = logging.getLogger(__name__)

WEIGHT_MAX = Decimal(10)


@dataclass(frozen=True)
class SourceSpec:
    """One requested source of a remix: which contribution, and how much of it was used."""

    contribution_id: int
    weight: Decimal = WEIGHT_DEFAULT


def contributions_changed(
    contributions: Iterable[Contribution], *, related_ids: Iterable[int] = ()
) -> None:
    """These contributions changed (or were made, or deleted): their pages, their projects'
    pages and those of ``related_ids`` (sources that gained or lost a remix) render afresh
    (``hitrecord.fragments.bump``). Every write here calls it; lineage pictures elsewhere
    in a chain may lag by ``FRAGMENT_SECONDS``."""
    rows = list(contributions)
    fragments.bump(
        *dict.fromkeys(
            [
                *(contribution_scope(c.pk) for c in rows),
                *(contribution_scope(pk) for pk in related_ids),
                *(project_scope(c.project_id) for c in rows),
                *(person_scope(c.author_id) for c in rows),
            ]
        )
    )


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

    The request makes only the cheap checks of a file (``precheck_media``: its type from
    the first bytes, the size limits, an image's header, a container probe limited in
    time and bytes), so a refused file leaves no row and no stored file behind. The upload
    is stored as received and the contribution is ``processing``; the processing task
    decodes it fully, makes its renditions and thumbnail, and replaces it with the clean
    original. ``upload_key`` names a file the browser already put in the S3 store with a
    presigned POST: the request reads only its first bytes and size (never the whole
    file; a worker does), and deletes it if refused. Text is ready at once. Sources are
    fixed here for ever; their authors are notified. Atomic.
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
    _validate_fields(title=title, kind=kind, text=text, file=upload_key)
    info = _incoming_info(upload_key, kind)
    try:
        return submit(file=None, incoming=(upload_key, info))
    except Exception:
        default_storage.delete(upload_key)  # refused: the incoming copy goes
        raise


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
    incoming: tuple[str, MediaInfo] | None = None,
) -> Contribution:
    _validate_fields(title=title, kind=kind, text=text, file=file or (incoming and incoming[0]))
    if len(description) > 5000:
        raise ValidationError({"description": "Keep the description under 5,000 characters."})
    if call is not None and call.project_id != project.pk:
        raise ValidationError({"call": "That call belongs to another project."})
    if call is not None and not call.is_open:
        raise ValidationError({"call": "That call is closed."})
    resolved = _resolve_sources(sources)

    info: MediaInfo | None = incoming[1] if incoming else None
    if file is not None:
        try:
            info = precheck_media(file, kind=kind)
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
                contribution.processing_step = Contribution.Step.QUEUED
                if incoming is not None:
                    contribution.file.name = incoming[0]  # read by the worker, where it is
                else:
                    contribution.file.save(
                        generated_name(info.extension), _upload_content(file), save=False
                    )
            contribution.save()
            Source.objects.bulk_create(
                Source(contribution=contribution, source=source, weight=weight)
                for source, weight in resolved
            )
            _notify_remixed(contribution, [source for source, _ in resolved])
            notify_call_answered(contribution)  # text is ready now; media once processed
            contributions_changed([contribution], related_ids=[src.pk for src, _ in resolved])
            if info is not None:
                from contributions.tasks import contribution_process

                transaction.on_commit(lambda: contribution_process.delay(contribution.pk))
    except Exception:
        # Nothing stays behind when the row was not written (an incoming upload is
        # deleted by the caller).
        if contribution.file and contribution.file.name and incoming is None:
            contribution.file.storage.delete(contribution.file.name)
        raise
    return contribution


def _incoming_info(upload_key: str, kind: str) -> MediaInfo:
    """A direct upload checked from its first bytes and its size (one ranged read)."""
    from contributions.uploads import incoming_head

    if not upload_key.startswith(UPLOAD_PREFIX) or ".." in upload_key:
        raise ValidationError({"upload_key": "That upload key was not issued by this site."})
    try:
        head, size = incoming_head(upload_key, HEAD_BYTES)
    except FileNotFoundError:
        raise ValidationError(
            {"upload_key": "No uploaded file under that key: upload it first, then submit."}
        ) from None
    try:
        fmt = precheck_head(head, size=size, kind=kind)
    except MediaRejected as exc:
        default_storage.delete(upload_key)
        raise ValidationError({"file": exc.message}) from exc
    return MediaInfo(
        kind=kind,
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=size,
        sha256="",  # the worker reads the file and records the clean original's
    )


def _upload_content(file: File[Any] | IO[bytes] | None) -> File[Any]:
    """The upload, streamed into the store as received (the task makes the clean copy)."""
    if file is None:
        raise ValueError("A media contribution needs its file.")
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


def notify_call_answered(contribution: Contribution) -> list[Notification]:
    """Tell the directors of the project whose call ``contribution`` answers that it is
    there to see (never its author, director or not; the author is named by placeholder).
    Call it once, in the transaction that makes the work ready: at submit for text, when
    processing finishes for media. Does nothing for work answering no call, not ready or
    taken down. A fixed number of queries for any number of directors."""
    call = contribution.call if contribution.call_id is not None else None
    if call is None or contribution.status != Contribution.Status.READY or contribution.removed:
        return []
    return notify_project_directors(
        project_id=contribution.project_id,
        kind=Notification.Kind.CALL_ANSWERED,
        message=(
            f"{Notification.ACTOR_PLACEHOLDER} answered your call “{call.title}” in "
            f"“{contribution.project.title}” with “{contribution.title}”."
        ),
        url=contribution.get_absolute_url(),
        actor=contribution.author,
    )


def _notify_commented(comment: Comment) -> None:
    """Tell a contribution's author (never when they comment on their own work) that
    feedback came, linking to the page of feedback that holds it: oldest first, so it
    stays on that page as more comes."""
    contribution = comment.contribution
    if contribution.author_id == comment.author_id:
        return
    before = Comment.objects.filter(
        contribution_id=contribution.pk, hidden=False, pk__lte=comment.pk
    ).count()
    page = -(-before // COMMENTS_PAGE_SIZE)
    suffix = f"?comments={page}" if page > 1 else ""
    notify(
        recipient=contribution.author,
        kind=Notification.Kind.COMMENTED,
        message=f"{Notification.ACTOR_PLACEHOLDER} left feedback on your “{contribution.title}”.",
        url=f"{contribution.get_absolute_url()}{suffix}#comments",
        actor=comment.author,
    )


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
        contributions_changed([contribution], related_ids=source_ids(contribution))
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
    names = stored_names(contribution)
    storage = contribution.file.storage
    sources = source_ids(contribution)
    try:
        with transaction.atomic():
            contributions_changed([contribution], related_ids=sources)
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


def source_ids(contribution: Contribution) -> list[int]:
    """The contributions this one remixes: their pages list it."""
    return list(contribution.source_links.values_list("source_id", flat=True))


def stored_names(contribution: Contribution) -> list[str]:
    """Every file stored for a contribution: the original, thumbnail, rendition, waveform."""
    fields = (
        contribution.file,
        contribution.thumbnail,
        contribution.rendition,
        contribution.waveform,
    )
    return [f.name for f in fields if f and f.name]


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
        names = stored_names(contribution)
        storage = contribution.file.storage
        contribution.removed = True
        contribution.removed_at = timezone.now()
        contribution.removed_reason = reason.strip()[:500]
        contribution.file = ""
        contribution.thumbnail = ""
        contribution.rendition = ""
        contribution.waveform = ""
        contribution.waveform_peaks = []
        contribution.text = ""
        contribution.text_html = ""
        contribution.save()
        contributions_changed([contribution], related_ids=source_ids(contribution))
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
    """Leave feedback on a contribution (signed-in people; not on removed work); its author
    is told (in-app, and by email once committed). Atomic."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something before posting."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep feedback under 5,000 characters."})
    if contribution.removed:
        raise PermissionDenied("This contribution was taken down; it takes no feedback.")
    throttling.limit_action(action="comment", user=author)
    with transaction.atomic():
        comment = Comment.objects.create(contribution=contribution, author=author, body=body)
        _notify_commented(comment)
        fragments.bump(contribution_scope(contribution.pk))
    return comment


def comment_hide(*, comment: Comment, by: User, reason: str = "") -> Comment:
    """Staff hide a comment from everyone. Idempotent; audited."""
    if not by.is_staff:
        raise PermissionDenied("Only staff can hide comments.")
    if comment.hidden:
        return comment
    with transaction.atomic():
        comment.hidden = True
        comment.save(update_fields=["hidden"])
        fragments.bump(contribution_scope(comment.contribution_id))
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
            contributions_changed([remix], related_ids=[source.pk])
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
