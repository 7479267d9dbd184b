"""Every write about projects, memberships and calls.

Each service is keyword-only, runs in one transaction, checks who may do it (raising
``PermissionDenied`` with a message), validates what it stores (raising Django's
``ValidationError`` keyed by field, before anything is written), refuses what clashes
with the project's state (``ConflictError``, HTTP 409), writes an audit entry for shares
and directors, and bumps the "projects changed" version on commit so cached lists
refresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import Medium, Notification, User
from accounts.selectors import person_scope
from accounts.services import audit_record, notify_project_directors
from hitrecord import fragments, throttling
from hitrecord.errors import ConflictError
from hitrecord.ids import ID_MAX as MAX_ID
from hitrecord.markdown import render_markdown
from hitrecord.media import MediaRejected, check_image, generated_name, image_thumbnail
from projects.models import SHARE_DEFAULT, Call, Membership, Project
from projects.selectors import PROJECTS_SCOPE, can_direct, project_scope

BRIEF_MAX = 20_000
TITLE_MAX = 200
CALL_DESCRIPTION_MAX = 5000
# Paths under /projects/ that a slug must never shadow.
RESERVED_SLUGS = frozenset({"new"})
SLUG_FALLBACK = "project"
SLUG_BASE_MAX = 200  # leaves room for "-N" within the column's 220


# --- shared checks ------------------------------------------------------------------------


def projects_changed(project_id: int | None = None, *, people: Iterable[int] = ()) -> None:
    """Bump the version that keys cached project lists, the project's own (its page) and
    those of ``people`` whose memberships changed (their profiles), now and again once the
    transaction commits (``hitrecord.fragments.bump``)."""
    fragments.bump(
        PROJECTS_SCOPE,
        *([project_scope(project_id)] if project_id else []),
        *(person_scope(pk) for pk in people),
    )


def _require_signed_in(user: Any) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")


def _require_director(project: Project, by: Any) -> None:
    _require_signed_in(by)
    if not can_direct(project=project, user=by):
        raise PermissionDenied("Only this project's directors can do that.")


def _require_not_archived(project: Project, what: str) -> None:
    if project.is_archived:
        raise ConflictError(
            f"This project is archived and read-only: {what}. A director can change its "
            "status first."
        )


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the project a title."})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title to {TITLE_MAX} characters or fewer."})
    return title


def _clean_brief(brief: str) -> str:
    brief = brief or ""
    if len(brief) > BRIEF_MAX:
        raise ValidationError(
            {"brief": f"The brief is {len(brief):,} characters; keep it to {BRIEF_MAX:,}."}
        )
    return brief


def _clean_mediums(mediums: Iterable[str]) -> list[str]:
    """The mediums wanted, each once, in the fixed order text, image, audio, video."""
    if isinstance(mediums, str):
        mediums = [mediums]
    wanted = set(mediums)
    unknown = sorted(str(m) for m in wanted - set(Medium.values))
    if unknown:
        raise ValidationError(
            {
                "mediums": f"Unknown medium {', '.join(unknown)}: choose from "
                f"{', '.join(Medium.values)}."
            }
        )
    return [m for m in Medium.values if m in wanted]


def _clean_status(status: str) -> str:
    if status not in Project.Status.values:
        raise ValidationError(
            {
                "status": f"Unknown status {status!r}: choose from "
                f"{', '.join(Project.Status.values)}."
            }
        )
    return status


def _clean_share(field: str, value: Any) -> Decimal:
    try:
        share = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Give a number between 0 and 1, e.g. 0.5."}) from None
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise ValidationError({field: "Give a number between 0 and 1, e.g. 0.5."})
    if share != share.quantize(Decimal("0.0001")):
        raise ValidationError({field: "Use at most 4 decimal places, e.g. 0.3333."})
    return share.quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class _Cover:
    image: File[Any]
    thumbnail: File[Any]
    name: str


def _check_cover(cover: Any) -> _Cover:
    """Check an uploaded cover before anything is written; the stored names are generated."""
    try:
        info = check_image(cover)
        # The checked bytes (metadata and anything after the image's end stripped).
        image = ContentFile(info.content if info.content is not None else cover.read())
        thumbnail = image_thumbnail(image)
    except MediaRejected as rejected:
        raise ValidationError(
            {"cover": f"Choose another cover image: {rejected.message}"}
        ) from None
    image.seek(0)
    return _Cover(image=image, thumbnail=thumbnail, name=generated_name(info.extension))


def _store_cover(project: Project, cover: _Cover) -> None:
    old = [f.name for f in (project.cover, project.cover_thumbnail) if f]
    project.cover.save(cover.name, cover.image, save=False)
    project.cover_thumbnail.save(cover.thumbnail.name or cover.name, cover.thumbnail, save=False)
    if old:
        storage = project.cover.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old])


def _unique_slug(title: str) -> str:
    base = slugify(title)[:SLUG_BASE_MAX].strip("-") or SLUG_FALLBACK
    taken = (
        set(Project.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        | RESERVED_SLUGS
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _share_audit(project: Project, by: User, field: str, old: Decimal | None, new: Decimal) -> None:
    audit_record(
        actor=by,
        action=f"project.{field}",
        target=project,
        details={"from": None if old is None else str(old), "to": str(new)},
    )


# --- projects -----------------------------------------------------------------------------


def project_create(
    *,
    by: User,
    title: str,
    brief: str = "",
    mediums: Iterable[str] = (),
    status: str = Project.Status.OPEN,
    cover: Any = None,
    remix_upstream_share: Any = None,
    contributor_share: Any = None,
) -> Project:
    """Create a project with ``by`` as its first director.

    The slug is made from the title once, never changes, and gets ``-2``, ``-3``... on a
    collision (``project`` when the title has no letters for one). ``contributor_share``
    may be set by staff only; the shares default to 0.50. Everything is checked before
    anything is written: a bad field (including a cover that is not an image) raises
    ``ValidationError`` and saves nothing. Atomic; the shares are audited.
    """
    _require_signed_in(by)
    throttling.limit_action(action="project", user=by)
    if contributor_share is not None and not by.is_staff:
        raise PermissionDenied(
            "Only staff set contributor_share; directors set remix_upstream_share."
        )
    project = Project(
        title=_clean_title(title),
        brief=_clean_brief(brief),
        mediums=_clean_mediums(mediums),
        status=_clean_status(status),
        created_by=by,
    )
    project.remix_upstream_share = _clean_share(
        "remix_upstream_share",
        SHARE_DEFAULT if remix_upstream_share is None else remix_upstream_share,
    )
    project.contributor_share = _clean_share(
        "contributor_share", SHARE_DEFAULT if contributor_share is None else contributor_share
    )
    checked_cover = _check_cover(cover) if cover else None
    project.brief_html = render_markdown(project.brief)

    with transaction.atomic():
        if checked_cover is not None:
            _store_cover(project, checked_cover)
        for _attempt in range(5):
            project.slug = _unique_slug(project.title)
            try:
                with transaction.atomic():
                    project.save()
                break
            except IntegrityError:
                # Someone took the same slug between our look and our insert: look again.
                if not Project.objects.filter(slug=project.slug).exists():
                    raise
                project.pk = None
        else:  # pragma: no cover - five collisions in a row
            raise ConflictError("Could not find a free address for this project; try again.")
        Membership.objects.create(project=project, user=by, role=Membership.Role.DIRECTOR)
        audit_record(
            actor=by,
            action="project.create",
            target=project,
            details={
                "contributor_share": str(project.contributor_share),
                "remix_upstream_share": str(project.remix_upstream_share),
            },
        )
        projects_changed(project.pk, people=[by.pk])
    return project


def project_update(
    *,
    project: Project,
    by: User,
    title: str | None = None,
    brief: str | None = None,
    mediums: Iterable[str] | None = None,
    status: str | None = None,
    cover: Any = None,
    remix_upstream_share: Any = None,
    contributor_share: Any = None,
) -> Project:
    """Change a project; ``None`` leaves a field as it is. The slug never changes.

    Directors and staff may change it; ``contributor_share`` only staff
    (``PermissionDenied`` otherwise). An archived project changes only its status
    (``ConflictError`` for anything else). Bad values raise ``ValidationError`` and
    change nothing. Atomic; share changes are audited with their old and new values.
    """
    _require_director(project, by)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = _clean_title(title)
    if brief is not None:
        changes["brief"] = _clean_brief(brief)
    if mediums is not None:
        changes["mediums"] = _clean_mediums(mediums)
    if status is not None:
        changes["status"] = _clean_status(status)
    if remix_upstream_share is not None:
        changes["remix_upstream_share"] = _clean_share("remix_upstream_share", remix_upstream_share)
    if contributor_share is not None:
        if not by.is_staff:
            raise PermissionDenied(
                "Only staff change contributor_share; directors set remix_upstream_share."
            )
        changes["contributor_share"] = _clean_share("contributor_share", contributor_share)
    changes = {k: v for k, v in changes.items() if getattr(project, k) != v}
    checked_cover = _check_cover(cover) if cover else None

    if project.is_archived and (set(changes) - {"status"} or checked_cover is not None):
        _require_not_archived(project, "only its status can change")

    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        changes = {k: v for k, v in changes.items() if getattr(locked, k) != v}
        for field in ("contributor_share", "remix_upstream_share"):
            if field in changes:
                _share_audit(locked, by, field, getattr(locked, field), changes[field])
        if "status" in changes:
            audit_record(
                actor=by,
                action="project.status",
                target=locked,
                details={"from": locked.status, "to": changes["status"]},
            )
        for field, value in changes.items():
            setattr(locked, field, value)
        if "brief" in changes:
            locked.brief_html = render_markdown(locked.brief)
            changes["brief_html"] = locked.brief_html
        if checked_cover is not None:
            _store_cover(locked, checked_cover)
            changes["cover"] = locked.cover
            changes["cover_thumbnail"] = locked.cover_thumbnail
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
            changes["updated_at"] = locked.updated_at
            for field, value in changes.items():
                setattr(project, field, value)
            projects_changed(project.pk)
    return project


# --- membership ---------------------------------------------------------------------------


def project_join(*, project: Project, user: User) -> tuple[Membership, bool]:
    """Make ``user`` a member; returns ``(membership, created)``. Idempotent: joining
    twice returns the existing membership (a director stays a director) and tells nobody
    again. The project's directors are told who joined. Archived projects take no new
    members (``ConflictError``)."""
    _require_signed_in(user)
    existing = Membership.objects.filter(project=project, user=user).first()
    if existing is not None:
        return existing, False
    _require_not_archived(project, "it takes no new members")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            project=project, user=user, defaults={"role": Membership.Role.MEMBER}
        )
        if created:
            projects_changed(project.pk, people=[user.pk])
            _notify_joined(project, user)
    return membership, created


def _notify_joined(project: Project, user: User) -> None:
    """Tell the directors who joined; someone who leaves and joins again is announced
    once, so leaving and joining over and over cannot flood the directors' mail."""
    url = f"{project.get_absolute_url()}#people"
    kind = Notification.Kind.JOINED
    if Notification.objects.filter(kind=kind, actor=user, url=url).exists():
        return
    notify_project_directors(
        project_id=project.pk,
        kind=kind,
        message=f"{Notification.ACTOR_PLACEHOLDER} joined “{project.title}”.",
        url=url,
        actor=user,
    )


def project_leave(*, project: Project, user: User) -> bool:
    """Remove ``user`` from the project; returns whether they were a member. The last
    director cannot leave (``ConflictError``: add a co-director first). Archived projects
    are read-only (``ConflictError``)."""
    _require_signed_in(user)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(project=project, user=user).first()
        )
        if membership is None:
            return False
        _require_not_archived(project, "its members stay as they are")
        if membership.role == Membership.Role.DIRECTOR:
            # Lock every director row so two directors cannot both leave at once.
            directors = list(
                Membership.objects.select_for_update()
                .filter(project=project, role=Membership.Role.DIRECTOR)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if len(directors) <= 1:
                raise ConflictError(
                    "You are this project's only director: make a member co-director "
                    "before you leave."
                )
            audit_record(actor=user, action="project.director_leave", target=project, details={})
        membership.delete()
        projects_changed(project.pk, people=[user.pk])
    return True


def project_add_director(*, project: Project, by: User, user_id: int) -> tuple[Membership, bool]:
    """Make a member of the project a co-director; returns ``(membership, changed)``.

    Only directors (and staff) may; the person must already be a member
    (``ValidationError`` on ``user`` otherwise). Idempotent for someone who already
    directs. Atomic and audited."""
    _require_director(project, by)
    _require_not_archived(project, "its directors stay as they are")
    if not 0 < int(user_id) <= MAX_ID:
        raise ValidationError({"user": "No person has that id; send the id of a member."})
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(project=project, user_id=user_id)
            .first()
        )
        if membership is None:
            raise ValidationError(
                {"user": "That person is not a member of this project; they must join first."}
            )
        if membership.role == Membership.Role.DIRECTOR:
            return membership, False
        membership.role = Membership.Role.DIRECTOR
        membership.save(update_fields=["role"])
        audit_record(
            actor=by,
            action="project.director_add",
            target=project,
            details={"user": membership.user_id},  # ids only: the log outlives names
        )
        projects_changed(project.pk, people=[membership.user_id])
    return membership, True


# --- calls --------------------------------------------------------------------------------


def _clean_call_fields(
    *, title: str | None, description: str | None, medium: str | None
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if title is not None:
        title = title.strip()
        if not title:
            raise ValidationError({"title": "Say what the call asks for, e.g. “A cello line”."})
        if len(title) > TITLE_MAX:
            raise ValidationError({"title": f"Keep the title to {TITLE_MAX} characters or fewer."})
        fields["title"] = title
    if description is not None:
        if len(description) > CALL_DESCRIPTION_MAX:
            raise ValidationError(
                {"description": f"Keep the description to {CALL_DESCRIPTION_MAX:,} characters."}
            )
        fields["description"] = description
    if medium is not None:
        if medium not in Medium.values:
            raise ValidationError(
                {"medium": f"Unknown medium {medium!r}: choose from {', '.join(Medium.values)}."}
            )
        fields["medium"] = medium
    return fields


def call_create(
    *,
    project: Project,
    by: User,
    title: str,
    medium: str,
    description: str = "",
    good_first: bool = False,
) -> Call:
    """Open a call on a project (directors and staff only; not on archived projects).
    Bad fields raise ``ValidationError`` and create nothing. Atomic."""
    _require_director(project, by)
    _require_not_archived(project, "it takes no new calls")
    fields = _clean_call_fields(title=title, description=description or "", medium=medium)
    with transaction.atomic():
        call = Call.objects.create(project=project, good_first=bool(good_first), **fields)
        projects_changed(project.pk)
    return call


def call_update(
    *,
    call: Call,
    by: User,
    title: str | None = None,
    description: str | None = None,
    medium: str | None = None,
    good_first: bool | None = None,
    is_open: bool | None = None,
) -> Call:
    """Edit, close or reopen a call (directors and staff only; ``None`` leaves a field as it
    is). Calls of an archived project do not change (``ConflictError``). Once contributions
    answered a call its medium is fixed (``ValidationError`` on ``medium``); its title,
    description and flags still change. Atomic. Not audited: calls hold no money and no
    credit (the audit log covers shares, status and directors)."""
    project = call.project
    _require_director(project, by)
    _require_not_archived(project, "its calls stay as they are")
    fields = _clean_call_fields(title=title, description=description, medium=medium)
    if "medium" in fields and fields["medium"] != call.medium and call_medium_locked(call=call):
        raise ValidationError(
            {
                "medium": "Contributions already answered this call, so its medium stays "
                f"{call.get_medium_display().lower()}; open a new call for another medium."
            }
        )
    if good_first is not None:
        fields["good_first"] = bool(good_first)
    if is_open is not None:
        fields["is_open"] = bool(is_open)
    fields = {k: v for k, v in fields.items() if getattr(call, k) != v}
    if fields:
        with transaction.atomic():
            for field, value in fields.items():
                setattr(call, field, value)
            call.save(update_fields=[*fields, "updated_at"])
            projects_changed(project.pk)
    return call


def call_medium_locked(*, call: Call) -> bool:
    """Whether ``call_update`` refuses to change the call's medium: some contribution
    answered the call (withdrawn ones too: they stay in the lineage). Forms ask this to
    show the medium as fixed before anyone tries."""
    # Contributions live in the app to the left; the reverse relation is reached by name.
    return Call.objects.filter(pk=call.pk, contributions__isnull=False).exists()
