"""Staff moderation: take contributions down and hide comments, both audited through services."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User
from contributions import access, services
from contributions.models import Comment, Contribution, Source
from hitrecord import admin_lists


class SourceInline(admin.TabularInline[Source, Contribution]):
    model = Source
    fk_name = "contribution"
    fields = ("source", "weight", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin[Contribution]):
    list_display = (
        "title",
        "project",
        "author",
        "kind",
        "status",
        "withdrawn",
        "removed",
        "created_at",
    )
    list_filter = ("kind", "status", "withdrawn", "removed")
    search_fields = ("title", "author__username", "project__title")
    list_select_related = ("project", "author")
    date_hierarchy = "created_at"
    get_changelist = admin_lists.get_changelist  # odd ?created_at__year=: no 500
    inlines = [SourceInline]
    actions = ["take_down"]
    readonly_fields = [f.name for f in Contribution._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Take down (rights complaint): remove media, keep in lineage")
    def take_down(
        self, request: HttpRequest, queryset: QuerySet[Contribution]
    ) -> TemplateResponse | None:
        """Asks for the reason first (the author is told it, the audit log keeps it)."""
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            return TemplateResponse(
                request,
                "admin/contributions/take_down.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Take contributions down",
                    "contributions": access.contributions_for_moderation(
                        user=request.user, queryset=queryset
                    ),
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "missing_reason": "apply" in request.POST,
                    "opts": self.model._meta,
                },
            )
        count = 0
        chosen = access.contributions_for_moderation(user=request.user, queryset=queryset)
        for contribution in chosen.filter(removed=False):
            services.contribution_take_down(
                contribution=contribution, by=cast(User, request.user), reason=reason
            )
            count += 1
        self.message_user(request, f"Took down {count} contribution(s).", messages.SUCCESS)
        return None


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("contribution", "author", "created_at", "hidden")
    list_filter = ("hidden",)
    search_fields = ("body", "author__username")
    list_select_related = ("contribution", "author")
    actions = ["hide"]
    readonly_fields = ("contribution", "author", "body", "hidden", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Hide the selected comments")
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        chosen = access.comments_for_moderation(user=request.user, queryset=queryset)
        for comment in chosen.filter(hidden=False):
            services.comment_hide(comment=comment, by=cast(User, request.user))
        self.message_user(request, "Hidden.", messages.SUCCESS)
