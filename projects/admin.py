"""Staff see every project; they change a project's shares and status here, through the
same service as the site (so the change is checked and audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hitrecord import admin_lists
from projects import services
from projects.models import Call, Membership, Project

EDITABLE = ("status", "contributor_share", "remix_upstream_share")


class MembershipInline(admin.TabularInline[Membership, Project]):
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CallInline(admin.TabularInline[Call, Project]):
    model = Call
    extra = 0
    fields = ("title", "medium", "good_first", "is_open", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ("title", "slug", "status", "contributor_share", "remix_upstream_share")
    list_filter = ("status",)
    search_fields = ("title", "slug", "brief")
    date_hierarchy = "created_at"
    get_changelist = admin_lists.get_changelist  # odd ?created_at__year=: no 500
    fields = (
        "title",
        "slug",
        "status",
        "contributor_share",
        "remix_upstream_share",
        "mediums",
        "brief",
        "cover",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = tuple(f for f in fields if f not in EDITABLE)
    inlines = [MembershipInline, CallInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # projects start on the site, where their creator becomes director

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # contributions and cuts hang off a project; archive it instead

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        current = Project.objects.get(pk=obj.pk)
        services.project_update(
            project=current,
            by=request.user,  # type: ignore[arg-type]
            **{field: form.cleaned_data[field] for field in EDITABLE if field in form.changed_data},
        )
