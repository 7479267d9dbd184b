"""``GET /api/search/?q=&type=&page=``: the search page's results for other clients,
paginated like every list (``{count, next, previous, results}``, 24 a page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from hitrecord.search import fulltext, selectors
from hitrecord.search.selectors import Q_MAX, RESULT_TYPE, TYPES, Hit

TYPE_ERROR = 'Use type=all, projects, contributions or people, not "{input}".'


class SearchQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Q_MAX,
        help_text="Words; each must begin a word of the title, name or text ('rai' finds "
        "'rain'); a word written '-word' leaves out what contains it. Empty: no results.",
        error_messages={
            "max_length": f"Search for at most {Q_MAX} characters: a few words are enough."
        },
    )
    type = serializers.ChoiceField(
        choices=list(TYPES),
        required=False,
        allow_blank=True,
        help_text="all (the default: the three types merged, best first), projects, "
        "contributions or people.",
        error_messages={"invalid_choice": TYPE_ERROR},
    )


class SearchResultSerializer(serializers.Serializer[Any]):
    """One result, whatever its type: enough to show it and to fetch it."""

    type = serializers.ChoiceField(choices=sorted(RESULT_TYPE.values()), read_only=True)
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(
        read_only=True, allow_null=True, help_text="A project's slug (its API name)."
    )
    username = serializers.CharField(read_only=True, allow_null=True, help_text="A person's.")
    title = serializers.CharField(
        read_only=True, help_text="A project's or contribution's title, a person's name."
    )
    url = serializers.URLField(read_only=True, help_text="Its page.")
    thumbnail = serializers.URLField(
        read_only=True, allow_null=True, help_text="Cover, thumbnail or avatar, when it has one."
    )
    snippet = serializers.CharField(
        read_only=True, help_text="Visible text around the first matching word (plain text)."
    )
    rank = serializers.FloatField(read_only=True, help_text="Higher is better; for ordering only.")


def _result(hit: Hit, request: Request) -> dict[str, Any]:
    item = hit.item
    picture = {
        "project": "cover_thumbnail",
        "contribution": "thumbnail",
        "person": "avatar_thumbnail",
    }[hit.type]
    file = getattr(item, picture)
    return {
        "type": hit.type,
        "id": item.pk,
        "slug": item.slug if hit.type == "project" else None,
        "username": item.username if hit.type == "person" else None,
        "title": item.display_name if hit.type == "person" else item.title,
        "url": request.build_absolute_uri(item.get_absolute_url()),
        "thumbnail": request.build_absolute_uri(file.url) if file else None,
        "snippet": hit.snippet_text,
        "rank": hit.rank,
    }


class Search(generics.GenericAPIView[Any]):
    """Search projects, contributions and people at once, best match first."""

    permission_classes = [AllowAny]
    serializer_class = SearchResultSerializer

    @extend_schema(
        operation_id="search_list",
        parameters=[SearchQuerySerializer],
        responses={
            200: SearchResultSerializer(many=True),
            400: OpenApiResponse(description="q too long or an unknown type; the body says."),
            404: OpenApiResponse(description="A page past the end."),
        },
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = (query.validated_data.get("q") or "").strip()
        listing = query.validated_data.get("type") or "all"
        terms = fulltext.parse(q)
        rows = self.paginate_queryset(selectors.ranked_for(listing, terms))
        hits = selectors.hits_for_listing(listing, list(rows or []), terms)
        data = SearchResultSerializer([_result(hit, request) for hit in hits], many=True).data
        return self.get_paginated_response(data)
