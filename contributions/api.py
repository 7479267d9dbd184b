"""The contributions API: browse, submit (multipart or JSON), withdraw, delete, lineage,
feedback, and presigned direct uploads in the S3 mode."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from contributions import access, selectors, services, uploads
from contributions import lineage as lineage_queries
from contributions.models import Comment, Contribution
from hitrecord import parsers as safe_json
from hitrecord.ids import ID_MAX as DB_INT_MAX
from hitrecord.params import parse_id
from hitrecord.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from hitrecord.throttling import ScopedRateThrottle
from payouts.selectors import used_in_cuts
from projects.models import Call, Project


class AuthorSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    username = serializers.SerializerMethodField()

    def get_username(self, user: User) -> str:
        return user.username if not user.is_anonymised else "former member"


class SourceOutSerializer(serializers.Serializer[Any]):
    contribution = serializers.IntegerField(source="source_id")
    title = serializers.CharField(source="source.title")
    weight = serializers.DecimalField(max_digits=6, decimal_places=3)


class ContributionSerializer(serializers.ModelSerializer[Contribution]):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    author = AuthorSerializer(read_only=True)
    sources = SourceOutSerializer(source="source_links", many=True, read_only=True)
    remix_count = serializers.SerializerMethodField()
    used_in_cuts = serializers.SerializerMethodField(
        help_text="How many projects' locked final cuts use it directly."
    )
    file_url = serializers.SerializerMethodField(
        help_text="The original, downloadable by anyone who may see the contribution."
    )
    thumbnail_url = serializers.SerializerMethodField()
    rendition_url = serializers.SerializerMethodField(
        help_text="What browsers play: AAC in MP4 (audio); H.264 and AAC in MP4, at most "
        "720p (video). Null until processing made it."
    )
    poster_url = serializers.SerializerMethodField(
        help_text="Video: a real frame, upright (the same picture as thumbnail_url)."
    )
    waveform_url = serializers.SerializerMethodField(
        help_text='Audio: the waveform peaks as JSON, {"version": 1, "points": N, '
        '"peaks": [N numbers in 0..1]}.'
    )
    processing_step = serializers.CharField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Contribution
        fields = [
            "id",
            "url",
            "project",
            "author",
            "title",
            "description",
            "kind",
            "status",
            "rejection_reason",
            "withdrawn",
            "removed",
            "call",
            "text",
            "text_html",
            "processing_step",
            "file_url",
            "thumbnail_url",
            "rendition_url",
            "poster_url",
            "waveform_url",
            "detected_type",
            "size_bytes",
            "sha256",
            "width",
            "height",
            "duration_ms",
            "sources",
            "remix_count",
            "used_in_cuts",
            "terms_version",
            "terms_accepted_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_remix_count(self, obj: Contribution) -> int:
        count = getattr(obj, "remix_count", None)
        return count if count is not None else obj.remix_links.count()

    def get_used_in_cuts(self, obj: Contribution) -> int:
        # The view reads payouts' counts ({id: K}); a new contribution is in none.
        return int(self.context.get("used_in_cuts", {}).get(obj.pk, 0))

    def get_file_url(self, obj: Contribution) -> str | None:
        return obj.file.url if obj.file and not obj.removed else None

    def get_thumbnail_url(self, obj: Contribution) -> str | None:
        return obj.thumbnail.url if obj.thumbnail and not obj.removed else None

    def get_rendition_url(self, obj: Contribution) -> str | None:
        return obj.rendition.url if obj.rendition and not obj.removed else None

    def get_poster_url(self, obj: Contribution) -> str | None:
        if obj.kind != Contribution.Kind.VIDEO:
            return None
        return self.get_thumbnail_url(obj)

    def get_waveform_url(self, obj: Contribution) -> str | None:
        return obj.waveform.url if obj.waveform and not obj.removed else None

    def to_representation(self, instance: Contribution) -> dict[str, Any]:
        """Callers fetched ``instance`` through ``contributions.access``; what is left to
        hide here is what even those who may see the contribution must not get: the
        rejection reason (its author and staff only) and a taken-down work's content."""
        data = super().to_representation(instance)
        if not access.can_see_private(_context_viewer(self.context), instance):
            data["rejection_reason"] = ""
        if instance.removed:
            for key in ("description", "text", "text_html"):
                if key in data:
                    data[key] = ""
        return data


def _context_viewer(context: dict[str, Any]) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


class ContributionListSerializer(ContributionSerializer):
    """The list shape: no text body, no sources (they live on the detail)."""

    class Meta(ContributionSerializer.Meta):
        fields = [
            f
            for f in ContributionSerializer.Meta.fields
            if f not in {"text", "sources", "used_in_cuts"}
        ]
        read_only_fields = fields


class SourceInSerializer(serializers.Serializer[Any]):
    contribution = serializers.IntegerField(min_value=1, max_value=DB_INT_MAX)
    weight = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        required=False,
        min_value=None,
        max_value=None,
        help_text="How much of this source was used, in (0, 10], relative to the other "
        "sources; default 1.",
    )


class SourcesField(serializers.ListField):
    """A list of ``{contribution, weight?}``; in multipart, the same list as a JSON string."""

    child = SourceInSerializer()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str):
            data = data[0]
        if isinstance(data, str):
            try:
                data = safe_json.loads(data) if data.strip() else []
            except safe_json.UnsafeJSON as exc:
                raise serializers.ValidationError(str(exc)) from None
            except ValueError:
                raise serializers.ValidationError(
                    'Send sources as JSON, e.g. [{"contribution": 12, "weight": "1.5"}].'
                ) from None
        return super().to_internal_value(data)


class ContributionCreateSerializer(serializers.Serializer[Any]):
    project = serializers.SlugField(help_text="The project's slug.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Contribution.Kind.choices)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    file = serializers.FileField(required=False, allow_empty_file=True)
    upload_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="S3 mode: the key returned by /api/contributions/uploads/ after the "
        "browser posted the file there.",
    )
    call = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=DB_INT_MAX
    )
    sources = SourcesField(required=False)
    terms_accepted = serializers.BooleanField(
        help_text="Must be true: others may remix the work on the platform and a project may "
        "use it in its product, paid by the payout rule."
    )


class ContributionCreateJSONSerializer(ContributionCreateSerializer):
    """The JSON shape of a submission: a JSON body cannot carry a file, so media comes as
    multipart (or, in the S3 mode, uploaded first and named by ``upload_key``)."""

    file = None  # type: ignore[assignment]


def _viewer(request: Request) -> User:
    return cast(User, request.user)


class ContributionListCreate(generics.ListAPIView[Contribution]):
    """Browse contributions, or submit one (members of the project)."""

    serializer_class = ContributionListSerializer
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="A project's slug."),
            OpenApiParameter("author", int, description="A user id."),
            OpenApiParameter("kind", str, enum=Contribution.Kind.values),
            OpenApiParameter("needs_remix", bool, description="Only work never remixed."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Contribution]:
        params = self.request.query_params
        project_id = None
        if params.get("project"):
            project = Project.objects.filter(slug=params["project"]).only("pk").first()
            if project is None:
                raise serializers.ValidationError({"project": "No project has that slug."})
            project_id = project.pk
        author_id = parse_id(params["author"]) if params.get("author") else None
        if params.get("author") and author_id is None:
            raise serializers.ValidationError({"author": ["author must be a user id, e.g. 12."]})
        kind = params.get("kind") or None
        if kind and kind not in Contribution.Kind.values:
            raise serializers.ValidationError(
                {"kind": f"kind must be one of {', '.join(Contribution.Kind.values)}."}
            )
        needs = (params.get("needs_remix") or "").lower()
        if needs not in {"", "0", "1", "true", "false"}:
            raise serializers.ValidationError({"needs_remix": "needs_remix is true or false."})
        return selectors.contribution_list(
            project_id=project_id,
            author_id=author_id,
            kind=kind,
            needs_remix=needs in {"1", "true"},
        )

    @extend_schema(
        request={
            "multipart/form-data": ContributionCreateSerializer,
            "application/json": ContributionCreateJSONSerializer,
        },
        responses={201: ContributionSerializer},
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        data = ContributionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = Project.objects.filter(slug=values["project"]).first()
        if project is None:
            raise serializers.ValidationError({"project": "No project has that slug."})
        call = None
        if values.get("call"):
            call = Call.objects.filter(pk=values["call"]).first()
            if call is None:
                raise serializers.ValidationError({"call": "No call has that id."})
        sources = [
            services.SourceSpec(
                contribution_id=item["contribution"],
                weight=services.parse_weight(item.get("weight")),
            )
            for item in values.get("sources") or []
        ]
        contribution = services.contribution_submit(
            user=_viewer(request),
            project=project,
            title=values["title"],
            kind=values["kind"],
            description=values.get("description", ""),
            text=values.get("text", ""),
            file=values.get("file"),
            upload_key=values.get("upload_key", ""),
            call=call,
            sources=sources,
            terms_accepted=values["terms_accepted"],
        )
        detail = access.contribution_for_viewer(
            viewer=request.user, pk=contribution.pk, detail=True
        )
        return Response(
            ContributionSerializer(detail, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def _detail_response(request: Request, pk: int) -> Response:
    contribution = access.contribution_for_viewer(viewer=request.user, pk=pk, detail=True)
    context = {"request": request, "used_in_cuts": used_in_cuts([contribution.pk])}
    return Response(ContributionSerializer(contribution, context=context).data)


class ContributionDetail(APIView):
    """One contribution (unfinished work: its author and staff only, 404 for others); its
    author may delete it while nothing uses it and it was not taken down."""

    @extend_schema(responses={200: ContributionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(request, pk)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        contribution = access.contribution_for_author(user=request.user, pk=pk)
        services.contribution_delete(contribution=contribution, by=_viewer(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContributionWithdraw(APIView):
    """Its author hides it from browsing; it stays in lineage and payouts."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: ContributionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        contribution = access.contribution_for_author(user=request.user, pk=pk)
        services.contribution_withdraw(contribution=contribution, by=_viewer(request))
        return _detail_response(request, pk)


class LineageNodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = AuthorSerializer(help_text='{id, username}; "former member" once anonymised.')
    depth = serializers.IntegerField()
    withdrawn = serializers.BooleanField()
    removed = serializers.BooleanField()


def _node_json(node: lineage_queries.LineageNode) -> dict[str, Any]:
    return {
        "id": node.id,
        "title": node.title,
        "author": {"id": node.author_id, "username": node.author_username},
        "depth": node.depth,
        "withdrawn": node.withdrawn,
        "removed": node.removed,
    }


class ContributionLineage(APIView):
    """Ancestors and descendants with their shortest depth. Throttled: it can be expensive."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "lineage"

    @extend_schema(
        responses={
            200: inline_serializer(
                "Lineage",
                {
                    "ancestors": LineageNodeSerializer(many=True),
                    "descendants": LineageNodeSerializer(many=True),
                },
            )
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        focus = access.contribution_for_viewer(viewer=request.user, pk=pk)
        whole = access.lineage_for_viewer(viewer=request.user, contribution=focus, limit=None)
        return Response(
            {
                "ancestors": [_node_json(n) for n in whole.ancestors],
                "descendants": [_node_json(n) for n in whole.descendants],
            }
        )


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = AuthorSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ContributionComments(generics.ListAPIView[Comment]):
    """Feedback: anyone reads, signed-in people write."""

    serializer_class = CommentSerializer

    def get_queryset(self) -> QuerySet[Comment]:
        contribution = access.contribution_for_viewer(
            viewer=self.request.user, pk=self.kwargs["pk"]
        )
        return selectors.comment_list(contribution_id=contribution.pk)

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        contribution = access.contribution_for_viewer(viewer=request.user, pk=pk)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            contribution=contribution, author=_viewer(request), body=data.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class DirectUploadSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[k for k in Contribution.Kind.values if k != "text"])


class DirectUpload(APIView):
    """S3 mode: a presigned POST so the browser sends a large file straight to the store;
    then submit the contribution with the returned ``upload_key``, and the server checks
    the file where it arrived."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=DirectUploadSerializer,
        responses={
            201: inline_serializer(
                "PresignedPost",
                {
                    "url": serializers.CharField(),
                    "fields": serializers.DictField(child=serializers.CharField()),
                    "upload_key": serializers.CharField(),
                    "max_bytes": serializers.IntegerField(),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        if not settings.MEDIA_IN_S3:
            return Response(
                {
                    "detail": "Direct uploads need the S3 store; "
                    "send the file with the contribution instead."
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = DirectUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            uploads.presigned_post(kind=data.validated_data["kind"]), status=status.HTTP_201_CREATED
        )
