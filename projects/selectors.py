"""Reads about projects that pages and the API share, shaped for batch loading.

Every list here costs a fixed number of queries whatever its length: counts are
subqueries, directors come in one prefetch. The permission helpers
(``project_for_director`` and friends) are the one place that decides who may change a
project; views and API views fetch through them and never call ``.objects.get()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Medium, User
from accounts.selectors import PEOPLE_SCOPE
from hitrecord import fragments
from hitrecord.ids import ID_MAX as MAX_ID
from hitrecord.search import fulltext
from projects.models import Call, Membership, Project

ORDERINGS = ("newest", "active")
ACTIVE_WINDOW = timedelta(days=30)
# Columns a card needs; the list page loads nothing else.
CARD_FIELDS = ("id", "slug", "title", "mediums", "status", "cover_thumbnail", "created_at")
USER_FIELDS = ("id", "username", "first_name", "last_name", "is_anonymised")

PROJECTS_SCOPE = "projects"


def project_scope(project_id: int) -> str:
    """The version scope of one project's page (``hitrecord.fragments``): bumped by the
    services whenever the project, its members, its calls, its contributions or its cut
    change."""
    return f"project:{project_id}"


# --- the "projects changed" version that keys cached fragments --------------------------


def projects_version() -> str:
    """A cheap token that changes whenever a project, a membership or a call changes
    (services bump it on commit), or a person's public name does (cards name directors).
    Cached fragments of project lists include it in their key."""
    return fragments.versions(PROJECTS_SCOPE, PEOPLE_SCOPE)


# --- building blocks ----------------------------------------------------------------------


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated ``COUNT(*)`` over ``queryset`` (already filtered on ``project=OuterRef``)."""
    return Coalesce(
        Subquery(
            queryset.order_by().values("project").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _directors_prefetch() -> Prefetch[Any, Any, Any]:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(role=Membership.Role.DIRECTOR)
        .select_related("user")
        .only("id", "project_id", "role", "joined_at", *(f"user__{f}" for f in USER_FIELDS))
        .order_by("joined_at", "pk"),
        to_attr="director_memberships",
    )


def with_counts(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate ``member_count`` and ``open_call_count`` and prefetch the directors
    (``project.director_memberships``): what a card or the API shows, in two queries."""
    return queryset.annotate(
        member_count=_count(Membership.objects.filter(project=OuterRef("pk"))),
        open_call_count=_count(Call.objects.filter(project=OuterRef("pk"), is_open=True)),
    ).prefetch_related(_directors_prefetch())


def _has_medium(medium: str) -> Q:
    # ``mediums`` holds at most the four mediums, each once (the services normalise it), so
    # looking at each position works on every database; JSON ``contains`` does not on SQLite.
    query = Q()
    for index in range(len(Medium.values)):
        query |= Q(**{f"mediums__{index}": medium})
    return query


def _filter_calls(
    queryset: QuerySet[Project],
    *,
    medium: str,
    has_calls: bool | None,
    good_first: bool | None,
) -> QuerySet[Project]:
    """The call filters, each wanted condition on the SAME open call: "audio" with "good
    first call" means one open call that is both, never an audio call next to a good first
    call for text. So the positive conditions go into one ``EXISTS``; the medium joins them
    (then it means "calling for audio" rather than "lists audio among its mediums")."""
    open_calls = Call.objects.filter(project=OuterRef("pk"), is_open=True)
    wanted = Q()
    if has_calls or good_first:
        if medium:
            wanted &= Q(medium=medium)
        if good_first:
            wanted &= Q(good_first=True)
        queryset = queryset.filter(Exists(open_calls.filter(wanted)))
    if has_calls is False:
        queryset = queryset.filter(~Exists(open_calls))
    if good_first is False:
        queryset = queryset.filter(~Exists(open_calls.filter(good_first=True)))
    return queryset


# --- lists --------------------------------------------------------------------------------


def project_list(
    *,
    search: str = "",
    medium: str = "",
    status: str = "",
    has_calls: bool | None = None,
    good_first: bool | None = None,
    ordering: str = "newest",
    lean: bool = False,
) -> QuerySet[Project]:
    """Projects matching the filters (each optional), with counts and directors.

    ``search``: every word begins a word of the title or the brief (``hitrecord.search.
    fulltext``: full-text on PostgreSQL, served by its GIN index). ``medium`` alone matches the
    project's mediums; with ``has_calls`` or ``good_first`` it matches the open call
    instead, and all the call conditions hold for one and the same call. ``ordering`` is
    ``newest`` or
    ``active`` (most ready, non-withdrawn contributions in the last 30 days). ``lean`` loads
    only the columns a card shows. The caller validates the values (see ``forms`` and
    ``api``); an unknown ordering raises ``ValueError``.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    queryset = Project.objects.all()
    if search.strip():
        queryset = fulltext.matching(queryset, fulltext.PROJECT, fulltext.parse(search))
    if medium and not (has_calls or good_first):
        queryset = queryset.filter(_has_medium(medium))
    if status:
        queryset = queryset.filter(status=status)
    queryset = _filter_calls(queryset, medium=medium, has_calls=has_calls, good_first=good_first)
    if lean:
        queryset = queryset.only(*CARD_FIELDS)
    queryset = with_counts(queryset)
    if ordering == "active":
        since = timezone.now() - ACTIVE_WINDOW
        # Contributions live in the app to the left; the reverse relation is reached by
        # name so this module imports nothing from there.
        queryset = queryset.annotate(
            recent_contributions=Count(
                "contributions",
                filter=Q(
                    contributions__status="ready",
                    contributions__withdrawn=False,
                    contributions__created_at__gte=since,
                ),
            )
        ).order_by("-recent_contributions", "-created_at", "-pk")
    else:
        queryset = queryset.order_by("-created_at", "-pk")
    return queryset


def projects_in_progress(*, limit: int = 8) -> list[Project]:
    """Open and in-production projects, newest first, for the home page."""
    queryset = Project.objects.filter(
        status__in=[Project.Status.OPEN, Project.Status.IN_PRODUCTION]
    ).only(*CARD_FIELDS)
    return list(with_counts(queryset).order_by("-created_at", "-pk")[:limit])


def open_call_list(*, mediums: list[str] | None = None, limit: int = 60) -> list[Call]:
    """Open calls of projects that are not archived, newest first, with their project
    (slug and title only); restricted to ``mediums`` when given."""
    queryset = _open_calls().order_by("-created_at", "-pk")
    if mediums is not None:
        queryset = queryset.filter(medium__in=mediums)
    return list(queryset[:limit])


def _open_calls() -> QuerySet[Call]:
    """Open calls of projects that are not archived, with the project columns a call
    shows."""
    return (
        Call.objects.filter(is_open=True)
        .exclude(project__status=Project.Status.ARCHIVED)
        .select_related("project")
        .only(
            "id",
            "title",
            "description",
            "medium",
            "good_first",
            "is_open",
            "created_at",
            "project__id",
            "project__slug",
            "project__title",
            "project__status",
        )
    )


def projects_of(*, user: User, limit: int = 6) -> list[Project]:
    """The projects ``user`` belongs to (directing or member), archived ones left out, the
    most recently joined first, with what a card shows; for their home page."""
    joined = Membership.objects.filter(project=OuterRef("pk"), user=user)
    queryset = (
        Project.objects.filter(Exists(joined))
        .exclude(status=Project.Status.ARCHIVED)
        .only(*CARD_FIELDS)
        .annotate(joined_at=Subquery(joined.values("joined_at")[:1]))
    )
    return list(with_counts(queryset).order_by("-joined_at", "-pk")[:limit])


def open_calls_for(*, user: User, limit: int = 12) -> list[Call]:
    """Open calls a person could answer: in the mediums they work in (good first calls
    first), or, when they have named none, the good first calls; never the calls of
    projects they direct (they posted those). Each call once, newest first otherwise."""
    mediums = [m for m in (user.mediums or []) if m in Medium.values]
    directed = Membership.objects.filter(
        project=OuterRef("project_id"), user=user, role=Membership.Role.DIRECTOR
    )
    queryset = _open_calls().filter(~Exists(directed))
    if mediums:
        queryset = queryset.filter(medium__in=mediums)
    else:
        queryset = queryset.filter(good_first=True)
    return list(queryset.order_by("-good_first", "-created_at", "-pk")[:limit])


def calls_by_medium(
    calls: list[Call], *, per_medium: int | None = None
) -> list[tuple[str, str, list[Call]]]:
    """``(medium, label, calls)`` in the fixed medium order, good first calls first (newest
    first within each), at most ``per_medium`` each; mediums without calls left out."""
    groups: list[tuple[str, str, list[Call]]] = []
    for value, label in Medium.choices:
        members = [call for call in calls if call.medium == value]
        members.sort(key=lambda call: not call.good_first)  # stable: newest stay first
        if members:
            groups.append((value, str(label), members[:per_medium]))
    return groups


def call_list(*, project: Project) -> list[Call]:
    """All of a project's calls, open ones first, newest first within each."""
    return list(project.calls.order_by("-is_open", "-created_at", "-pk"))


# --- one project --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectPage:
    """What a project page shows: the project (with counts and directors), every
    membership with its person (directors first in joining order), and every call
    (open first)."""

    project: Project
    memberships: list[Membership]
    calls: list[Call]

    @property
    def directors(self) -> list[Membership]:
        return [m for m in self.memberships if m.role == Membership.Role.DIRECTOR]

    @property
    def members(self) -> list[Membership]:
        return [m for m in self.memberships if m.role == Membership.Role.MEMBER]

    @property
    def open_calls(self) -> list[Call]:
        return [c for c in self.calls if c.is_open]

    def membership_of(self, user: User | Any) -> Membership | None:
        if not getattr(user, "is_authenticated", False):
            return None
        return next((m for m in self.memberships if m.user_id == user.pk), None)


SLUG_MAX = Project._meta.get_field("slug").max_length or 220


def known_project_id(slug: str) -> int | None:
    """The id of the project at ``slug`` if this process has seen it, without a query
    (for ``hitrecord.prefetch`` hints), else None."""
    if len(slug) > SLUG_MAX:
        return None
    project_id = fragments.remembered(f"project-id:{slug}")
    return None if project_id is None else int(project_id)


def project_page_scopes(kwargs: dict[str, Any]) -> list[str]:
    """The version scope a page at ``/projects/<slug>/...`` reads, when the project is
    known: ``hitrecord.prefetch.scopes`` fetches it with the session."""
    project_id = known_project_id(str(kwargs.get("slug", "")))
    return [] if project_id is None else [project_scope(project_id)]


def project_id_for(*, slug: str) -> int:
    """The id of the project at ``slug``, remembered (a slug never changes and a project
    is never deleted); 404 when there is none."""
    if len(slug) > SLUG_MAX:  # no project has it (and it would not make a cache key)
        raise Http404("No project with that address.")
    key = f"project-id:{slug}"
    project_id = fragments.remembered(key) or cache.get(key)
    if project_id is None:
        project_id = Project.objects.filter(slug=slug).values_list("id", flat=True).first()
        if project_id is None:
            raise Http404("No project with that address.")
        cache.set(key, project_id, None)
    fragments.remember(key, project_id)
    return int(project_id)


@dataclass(frozen=True)
class ViewerRole:
    """What the viewer is to a project: what its pages offer differs only by this, so
    ``key`` names it in cached fragments' keys."""

    signed_in: bool
    is_staff: bool
    membership: str  # "director", "member" or ""
    sole_director: bool

    @property
    def can_direct(self) -> bool:
        return self.membership == Membership.Role.DIRECTOR or self.is_staff

    @property
    def key(self) -> str:
        if not self.signed_in:
            return "visitor"
        role = "sole-director" if self.sole_director else (self.membership or "signed-in")
        return f"{role}+staff" if self.is_staff else role


VISITOR = ViewerRole(signed_in=False, is_staff=False, membership="", sole_director=False)


def viewer_role_key(project_id: int, user: User | Any, token: str) -> str:
    """Where ``viewer_role`` keeps a signed-in viewer's role under the project's version."""
    return f"project-role:{project_id}:{user.pk}:{token}"


def likely_role(user: User | Any) -> ViewerRole:
    """The role most viewers have (not a member), to fetch its page before the real role
    is known (``projects.views.project_detail``)."""
    if not getattr(user, "is_authenticated", False):
        return VISITOR
    return ViewerRole(
        signed_in=True, is_staff=bool(user.is_staff), membership="", sole_director=False
    )


def viewer_role(*, project_id: int, user: User | Any, token: str) -> ViewerRole:
    """The viewer's role in the project, cached under the project's version ``token``
    (every membership change bumps it, so a join or a leave shows at once)."""
    if not getattr(user, "is_authenticated", False):
        return VISITOR

    def load() -> tuple[str, bool]:
        role = (
            Membership.objects.filter(project_id=project_id, user_id=user.pk)
            .values_list("role", flat=True)
            .first()
        ) or ""
        sole = (
            role == Membership.Role.DIRECTOR
            and Membership.objects.filter(
                project_id=project_id, role=Membership.Role.DIRECTOR
            ).count()
            == 1
        )
        return role, sole

    role, sole = fragments.cached_value(viewer_role_key(project_id, user, token), load, local=True)
    return ViewerRole(
        signed_in=True, is_staff=bool(user.is_staff), membership=role, sole_director=sole
    )


def project_page(*, slug: str) -> ProjectPage:
    """One project with everything its page shows, in a fixed number of queries; 404 when
    there is none."""
    project = with_counts(Project.objects.filter(slug=slug)).first()
    if project is None:
        raise Http404("No project with that address.")
    memberships = list(
        Membership.objects.filter(project=project)
        .select_related("user")
        .only("id", "project_id", "role", "joined_at", *(f"user__{f}" for f in USER_FIELDS))
        .order_by("joined_at", "pk")
    )
    calls = list(project.calls.order_by("-is_open", "-created_at", "-pk"))
    for call in calls:
        call.project = project  # the call template links to its project; no query per call
    return ProjectPage(project=project, memberships=memberships, calls=calls)


def project_get(*, slug: str) -> Project:
    """The project named by ``slug`` (no extras) or 404."""
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise Http404("No project with that address.")
    return project


def membership_of(*, project: Project, user: User | Any) -> Membership | None:
    """The person's membership in the project, or None (always None for visitors)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(project=project, user=user).first()


def is_director(*, project: Project, user: User | Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        project=project, user=user, role=Membership.Role.DIRECTOR
    ).exists()


def can_direct(*, project: Project, user: User | Any) -> bool:
    """Directors of the project, and staff, may change it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or is_director(project=project, user=user)


DIRECTORS_ONLY = "Only this project's directors can do that."


def project_for_director(*, user: User | Any, slug: str) -> Project:
    """The project, when ``user`` may direct it (a director, or staff).

    Raises 404 when no project has that slug and ``PermissionDenied`` (403) with a message
    otherwise. Callers make sure the person is signed in first (401 / login page)."""
    project = project_get(slug=slug)
    if not can_direct(project=project, user=user):
        raise PermissionDenied(DIRECTORS_ONLY)
    return project


def project_for_member(*, user: User | Any, slug: str) -> Project:
    """The project, when ``user`` belongs to it (a member or director) or is staff: what
    members may see that visitors may not (the projected split). 404 for an unknown slug,
    ``PermissionDenied`` (403) with a message otherwise."""
    project = project_get(slug=slug)
    if getattr(user, "is_authenticated", False) and (
        user.is_staff or membership_of(project=project, user=user) is not None
    ):
        return project
    raise PermissionDenied("Only this project's members can see its projected split.")


def call_for_director(*, user: User | Any, slug: str, call_id: int) -> Call:
    """A call of a project ``user`` may direct: 404 for an unknown (or impossibly large) id
    or a call of another project, 403 for someone who is not a director."""
    project = project_for_director(user=user, slug=slug)
    if not 0 < call_id <= MAX_ID:
        raise Http404("No call with that id in this project.")
    call = Call.objects.filter(project=project, pk=call_id).select_related("project").first()
    if call is None:
        raise Http404("No call with that id in this project.")
    return call


def member_candidates(*, project: Project) -> QuerySet[User]:
    """Members who are not directors yet: who a director can promote."""
    return (
        User.objects.filter(memberships__project=project, memberships__role=Membership.Role.MEMBER)
        .only(*USER_FIELDS)
        .order_by("username")
    )


def project_with_counts(*, slug: str) -> Project:
    """One project with what the API shows (counts, directors), or 404."""
    project = with_counts(Project.objects.filter(slug=slug)).first()
    if project is None:
        raise Http404("No project with that address.")
    return project
