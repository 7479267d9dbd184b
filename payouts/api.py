"""The final-cut API: the draft (read by anyone, written by directors with its revision),
locking, the split previews and the credits.

Views are thin: serializers check the shape, ``payouts.services`` decides and writes,
``payouts.selectors`` reads. Projects are fetched through ``projects.selectors``' access
helpers, which raise the 404 and 403 with a message.
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from hitrecord.ids import ID_MAX
from hitrecord.parsers import SafeJSONParser
from hitrecord.throttling import ScopedRateThrottle
from payouts import selectors, services
from projects import selectors as project_selectors
from projects.api import UserRefSerializer

ERRORS = {
    400: OpenApiResponse(description="Bad input; the body says what to fix."),
    401: OpenApiResponse(description="Sign in first (token or session)."),
    403: OpenApiResponse(description="Signed in, but not allowed; the body says why."),
    404: OpenApiResponse(description="No project with that slug."),
    409: OpenApiResponse(description="A stale revision, an empty draft, or unready new items."),
    429: OpenApiResponse(description="Too many previews; see Retry-After."),
}
AMOUNT_MAX = 10**15  # minor units; far above any revenue, far below the database's bigint


class ItemSerializer(serializers.Serializer[Any]):
    contribution = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    weight = serializers.CharField(
        max_length=20, help_text='A decimal above 0 with at most 3 places, e.g. "1.5".'
    )
    upstream_share = serializers.CharField(
        max_length=20,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="An override of the remix upstream share for this item, in [0, 1]; "
        "public: the credits and every explanation show it.",
    )


class ItemOutSerializer(serializers.Serializer[Any]):
    contribution = serializers.IntegerField()
    title = serializers.CharField()
    author = UserRefSerializer()
    weight = serializers.CharField()
    upstream_share = serializers.CharField(allow_null=True)


class DraftSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField()
    locked_version = serializers.IntegerField(allow_null=True)
    items = ItemOutSerializer(many=True)


class DraftWriteSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    items = ItemSerializer(many=True)


class VersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()


class SplitLineSerializer(serializers.Serializer[Any]):
    user = UserRefSerializer()
    share = serializers.CharField()
    share_exact = serializers.CharField()
    amount_minor = serializers.IntegerField()


class SplitSerializer(serializers.Serializer[Any]):
    amount_minor = serializers.IntegerField()
    pool_minor = serializers.IntegerField()
    house_minor = serializers.IntegerField()
    lines = SplitLineSerializer(many=True)


class SplitRequestSerializer(serializers.Serializer[Any]):
    amount_minor = serializers.IntegerField(min_value=0, max_value=AMOUNT_MAX)
    items = ItemSerializer(many=True)


class CreditContributionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    depth = serializers.IntegerField()
    in_cut = serializers.BooleanField()
    upstream_share = serializers.CharField(allow_null=True)
    withdrawn = serializers.BooleanField()
    removed = serializers.BooleanField()


class CreditSerializer(serializers.Serializer[Any]):
    user = UserRefSerializer()
    name = serializers.CharField()
    medium = serializers.CharField()
    contributions = CreditContributionSerializer(many=True)


class CreditsSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(allow_null=True)
    credits = CreditSerializer(many=True)


def _user_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": "former member" if user.is_anonymised else user.username}


def draft_json(project: Any) -> dict[str, Any]:
    cut = selectors.draft_of(project=project)
    latest = selectors.latest_version(project=project)
    return {
        "revision": cut.revision if cut else 0,
        "locked_version": latest.number if latest else None,
        "items": [
            {
                "contribution": item.contribution_id,
                "title": item.contribution.title,
                "author": _user_ref(item.contribution.author),
                "weight": str(item.weight),
                "upstream_share": None if item.upstream_share is None else str(item.upstream_share),
            }
            for item in selectors.draft_items(cut=cut)
        ],
    }


def split_json(preview: selectors.SplitPreview) -> dict[str, Any]:
    return {
        "amount_minor": preview.amount_minor,
        "pool_minor": preview.pool_minor,
        "house_minor": preview.house_minor,
        "lines": [
            {
                "user": _user_ref(line.user),
                "share": line.share,
                "share_exact": line.share_exact,
                "amount_minor": line.amount_minor,
            }
            for line in preview.lines
        ],
    }


def _raw_items(data: Any) -> Any:
    """The items as sent (shape checked by the serializer): the service parses the
    numbers, so every bad weight or share gets the same message on the page and here."""
    return data.get("items") if isinstance(data, dict) else None


class FinalCutDraft(APIView):
    """The draft cut: anyone reads it; directors replace its items, based on its revision
    (a stale revision gets 409 so co-directors never overwrite each other)."""

    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="final_cut_retrieve",
        responses={200: DraftSerializer, 404: ERRORS[404]},
        tags=["final cut"],
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_selectors.project_get(slug=slug)
        return Response(draft_json(project))

    @extend_schema(
        operation_id="final_cut_update",
        request=DraftWriteSerializer,
        responses={
            200: DraftSerializer,
            **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
        },
        tags=["final cut"],
    )
    def put(self, request: Request, slug: str) -> Response:
        project = project_selectors.project_for_director(user=request.user, slug=slug)
        body = DraftWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = services.parse_items(_raw_items(request.data))
        services.final_cut_save(
            project=project,
            by=cast(User, request.user),
            revision=body.validated_data["revision"],
            items=items,
        )
        return Response(draft_json(project))


class FinalCutLock(APIView):
    """Lock the draft into the next version (201), or get the latest version (200) when the
    draft is identical to it."""

    @extend_schema(
        operation_id="final_cut_lock",
        request=None,
        responses={
            201: VersionSerializer,
            200: VersionSerializer,
            **{code: ERRORS[code] for code in (401, 403, 404, 409)},
        },
        tags=["final cut"],
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_selectors.project_for_director(user=request.user, slug=slug)
        version, created = services.final_cut_lock(project=project, by=cast(User, request.user))
        return Response(
            {"version": version.number},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FinalCutSplit(APIView):
    """The projected split of a revenue: of the saved draft (GET, members), or of items
    being edited (POST, directors). Writes nothing. Throttled (it can be expensive) and
    cached by the items' hash."""

    parser_classes = [SafeJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "split"

    @extend_schema(
        operation_id="final_cut_split_retrieve",
        parameters=[
            OpenApiParameter(
                "amount_minor",
                int,
                required=True,
                description="A revenue in minor units (cents for USD, yen for JPY).",
            )
        ],
        responses={200: SplitSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 404, 429)}},
        tags=["final cut"],
    )
    def get(self, request: Request, slug: str) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        project = project_selectors.project_for_member(user=request.user, slug=slug)
        amount = serializers.IntegerField(min_value=0, max_value=AMOUNT_MAX)
        raw = request.query_params.get("amount_minor", "")
        try:
            value = amount.run_validation(raw)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"amount_minor": error.detail}) from None
        preview = selectors.split_preview_of_draft(project=project, amount_minor=value)
        return Response(split_json(preview))

    @extend_schema(
        operation_id="final_cut_split_preview",
        request=SplitRequestSerializer,
        responses={200: SplitSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 404, 429)}},
        tags=["final cut"],
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_selectors.project_for_director(user=request.user, slug=slug)
        body = SplitRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = services.parse_items(_raw_items(request.data))
        services.final_cut_check_items(project=project, items=items)
        preview = selectors.split_preview(
            project=project,
            rows=[(i.contribution_id, i.weight, i.upstream_share) for i in items],
            amount_minor=body.validated_data["amount_minor"],
        )
        return Response(split_json(preview))


class FinalCutCredits(APIView):
    """Everyone whose work reached the latest locked version, directly or upstream, in the
    cut's order then upstream by depth, grouped by medium. No shares, no amounts."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="final_cut_credits",
        responses={200: CreditsSerializer, 404: ERRORS[404]},
        tags=["final cut"],
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_selectors.project_get(slug=slug)
        credits = selectors.credits_of(project=project)
        return Response(
            {
                "version": credits.version.number if credits.version else None,
                "credits": [
                    {
                        "user": {"id": e.person_id, "username": e.username or "former member"},
                        "name": e.name,
                        "medium": e.medium,
                        "contributions": e.contributions,
                    }
                    for e in credits.entries
                ],
            }
        )
