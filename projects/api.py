"""The projects API: browse and create projects, join and leave, directors and calls.

Views are thin: serializers check the shape of the input, the services decide and
write, the selectors read (and raise 404 / 403 with a message). Anonymous writes get 401
from the default ``IsAuthenticatedOrReadOnly``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Medium, User
from hitrecord.ids import ID_MAX as MAX_ID
from hitrecord.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from projects import selectors, services
from projects.models import Call, Membership, Project

# --- serializers --------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class ProjectSerializer(serializers.ModelSerializer[Project]):
    cover = serializers.FileField(read_only=True, allow_null=True)
    cover_thumbnail = serializers.FileField(read_only=True, allow_null=True)
    directors = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    open_call_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "slug",
            "title",
            "brief",
            "brief_html",
            "mediums",
            "status",
            "cover",
            "cover_thumbnail",
            "contributor_share",
            "remix_upstream_share",
            "directors",
            "member_count",
            "open_call_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UserRefSerializer(many=True))
    def get_directors(self, project: Project) -> list[dict[str, Any]]:
        return [
            {"id": m.user.pk, "username": m.user.username}
            for m in getattr(project, "director_memberships", [])
        ]

    def to_representation(self, instance: Project) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["mediums"] = list(instance.mediums or [])
        return data


def _share(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        help_text=help_text,
    )


class ProjectWriteSerializer(serializers.Serializer[Project]):
    """What a client sends to create (POST) or change (PATCH) a project."""

    title = serializers.CharField(max_length=services.TITLE_MAX)
    brief = serializers.CharField(
        max_length=services.BRIEF_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    mediums = serializers.ListField(
        child=serializers.ChoiceField(choices=Medium.choices), required=False, max_length=4
    )
    status = serializers.ChoiceField(choices=Project.Status.choices, required=False)
    remix_upstream_share = _share("Part of a remix's credit passed to its sources, 0 to 1.")
    contributor_share = _share("Part of revenue for contributors, 0 to 1; staff only.")
    cover = serializers.FileField(required=False, help_text="An image (multipart only).")


class ProjectQuerySerializer(serializers.Serializer[Any]):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    medium = serializers.ChoiceField(choices=Medium.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=Project.Status.choices, required=False, allow_blank=True
    )
    has_calls = serializers.BooleanField(required=False, allow_null=True, default=None)
    good_first = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(
        choices=list(selectors.ORDERINGS),
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": 'Use ordering=newest or ordering=active, not "{input}".'},
    )


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["project", "user", "role", "joined_at"]
        read_only_fields = fields


class DirectorAddSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of a member of the project."
    )


class CallSerializer(serializers.ModelSerializer[Call]):
    open = serializers.BooleanField(source="is_open", read_only=True)
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "project",
            "title",
            "description",
            "medium",
            "good_first",
            "open",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CallWriteSerializer(serializers.Serializer[Call]):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    medium = serializers.ChoiceField(choices=Medium.choices)
    good_first = serializers.BooleanField(required=False, default=False)


class CallUpdateSerializer(serializers.Serializer[Call]):
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    medium = serializers.ChoiceField(choices=Medium.choices, required=False)
    good_first = serializers.BooleanField(required=False)
    open = serializers.BooleanField(required=False, help_text="false closes the call.")


ERRORS = {
    400: OpenApiResponse(description="Bad input; the body says what to fix, per field."),
    401: OpenApiResponse(description="Sign in first (token or session)."),
    403: OpenApiResponse(description="Signed in, but not allowed; the body says why."),
    404: OpenApiResponse(description="No such project (or call)."),
    409: OpenApiResponse(description="Clashes with the project's state (e.g. archived)."),
}
WRITE_BODY = {
    "application/json": ProjectWriteSerializer,
    "multipart/form-data": ProjectWriteSerializer,
}


def _user(request: Request) -> User:
    return cast(User, request.user)  # IsAuthenticatedOrReadOnly ran first for writes


# --- views --------------------------------------------------------------------------------


class ProjectListCreate(generics.ListAPIView[Project]):
    """Browse projects, or create one (the caller becomes its director)."""

    serializer_class = ProjectSerializer
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    def get_queryset(self) -> QuerySet[Project]:
        query = ProjectQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return selectors.project_list(
            search=data.get("search") or "",
            medium=data.get("medium") or "",
            status=data.get("status") or "",
            has_calls=data.get("has_calls"),
            good_first=data.get("good_first"),
            ordering=data.get("ordering") or "newest",
        )

    @extend_schema(
        operation_id="projects_list",
        parameters=[ProjectQuerySerializer],
        responses={200: ProjectSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="projects_create",
        request=WRITE_BODY,
        responses={201: ProjectSerializer, 400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        body = ProjectWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = services.project_create(by=_user(request), **body.validated_data)
        fresh = selectors.project_with_counts(slug=project.slug)
        return Response(
            ProjectSerializer(fresh, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProjectDetail(APIView):
    """One project; its directors (and staff) change it."""

    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    @extend_schema(
        operation_id="projects_retrieve", responses={200: ProjectSerializer, 404: ERRORS[404]}
    )
    def get(self, request: Request, slug: str) -> Response:
        project = selectors.project_with_counts(slug=slug)
        return Response(ProjectSerializer(project, context={"request": request}).data)

    @extend_schema(
        operation_id="projects_partial_update",
        request=WRITE_BODY,
        responses={
            200: ProjectSerializer,
            **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
        },
        description="Directors change a project; only staff change `contributor_share` "
        "(403 for directors). An archived project changes only its status (409).",
    )
    def patch(self, request: Request, slug: str) -> Response:
        project = selectors.project_for_director(user=request.user, slug=slug)
        body = ProjectWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.project_update(project=project, by=_user(request), **body.validated_data)
        fresh = selectors.project_with_counts(slug=slug)
        return Response(ProjectSerializer(fresh, context={"request": request}).data)


class ProjectJoin(APIView):
    """Join a project (201 when new, 200 when already a member) or leave it (204)."""

    @extend_schema(
        operation_id="projects_join",
        request=None,
        responses={
            200: MembershipSerializer,
            201: MembershipSerializer,
            **{code: ERRORS[code] for code in (401, 404, 409)},
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        project = selectors.project_get(slug=slug)
        membership, created = services.project_join(project=project, user=_user(request))
        return Response(
            MembershipSerializer(membership).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="projects_leave",
        request=None,
        responses={
            204: OpenApiResponse(description="Left (or was not a member)."),
            **{code: ERRORS[code] for code in (401, 404)},
            409: OpenApiResponse(description="The last director cannot leave; or archived."),
        },
    )
    def delete(self, request: Request, slug: str) -> Response:
        project = selectors.project_get(slug=slug)
        services.project_leave(project=project, user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectDirectors(APIView):
    """Directors make a member a co-director."""

    @extend_schema(
        operation_id="projects_directors_add",
        request=DirectorAddSerializer,
        responses={
            200: MembershipSerializer,
            201: MembershipSerializer,
            **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
        },
        description="201 when the member became a co-director, 200 when they already were; "
        "400 when the person is not a member.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = selectors.project_for_director(user=request.user, slug=slug)
        body = DirectorAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership, changed = services.project_add_director(
            project=project, by=_user(request), user_id=body.validated_data["user"]
        )
        return Response(
            MembershipSerializer(membership).data,
            status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK,
        )


class ProjectCalls(APIView):
    """A project's calls (open ones first); directors open new ones."""

    @extend_schema(
        operation_id="projects_calls_list",
        responses={200: CallSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, slug: str) -> Response:
        project = selectors.project_get(slug=slug)
        return Response(CallSerializer(selectors.call_list(project=project), many=True).data)

    @extend_schema(
        operation_id="projects_calls_create",
        request=CallWriteSerializer,
        responses={
            201: CallSerializer,
            **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        project = selectors.project_for_director(user=request.user, slug=slug)
        body = CallWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call = services.call_create(project=project, by=_user(request), **body.validated_data)
        return Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)


class ProjectCallDetail(APIView):
    """Directors close, reopen or edit a call."""

    @extend_schema(
        operation_id="projects_calls_partial_update",
        request=CallUpdateSerializer,
        responses={
            200: CallSerializer,
            **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
        },
    )
    def patch(self, request: Request, slug: str, call_id: int) -> Response:
        call = selectors.call_for_director(user=request.user, slug=slug, call_id=call_id)
        body = CallUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "open" in changes:
            changes["is_open"] = changes.pop("open")
        call = services.call_update(call=call, by=_user(request), **changes)
        return Response(CallSerializer(call).data)
