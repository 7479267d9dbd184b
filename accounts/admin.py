from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import AuditEntry, Notification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("bio", "mediums", "avatar", "avatar_thumbnail", "is_anonymised")}),
    )
    readonly_fields = ("avatar", "avatar_thumbnail", "is_anonymised")
    list_display = ("username", "email", "is_staff", "is_anonymised", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "is_anonymised")
    actions = ["anonymise"]

    @admin.action(description="Delete (anonymise) the selected accounts")
    def anonymise(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        staff = cast(User, request.user)
        count = 0
        for person in queryset.filter(is_anonymised=False).exclude(pk=staff.pk):
            services.user_anonymise(user=person, by=staff)
            count += 1
        self.message_user(
            request,
            f"Anonymised {count} account{'s' if count != 1 else ''}; "
            "their contributions stay in lineage as “former member”.",
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "actor", "action", "target_type", "target_repr")
    list_filter = ("action", "target_type")
    search_fields = ("target_repr", "target_id", "actor__username", "action")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("created_at", "recipient", "kind", "message", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "message")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "kind", "message", "url", "created_at", "read_at")
