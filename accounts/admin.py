from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.forms import email_problem, username_problem
from accounts.models import AuditEntry, Notification, User
from hitrecord import admin_lists

# Keys of an audit entry's details that named a person before entries carried ids only;
# admin never shows them (the log is append-only, so old rows keep them; see audit_record).
_NAME_KEYS = {"username", "name", "first_name", "last_name", "full_name", "email"}


class StaffUserChangeForm(UserChangeForm[User]):
    """Admin's change form with the site's rules: a new username follows the policy and is
    not retired or taken; an email is not another account's (both ignore case). A person
    keeps their own name even when it predates the policy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "username" in self.fields:
            self.fields["username"].validators = []

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        problem = username_problem(username, current=self.instance)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return username

    def clean_email(self) -> str:
        email: str = self.cleaned_data.get("email") or ""
        problem = email_problem(email, current=self.instance)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return email


class StaffUserCreationForm(AdminUserCreationForm):
    """Admin's "add user" with the sign-up rules for the name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].validators = []

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return username


class StaffPasswordChangeForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """Admin's "change password", saved through ``user_password_set`` so the person's API
    tokens are revoked (Django's admin log names the staff member who did it)."""

    def save(self, commit: bool = True) -> Any:
        if not commit:
            return super().save(commit=False)
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        return services.user_password_set(user=self.user, password=password)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    change_password_form = StaffPasswordChangeForm
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Profile",
            {
                "fields": (
                    "email_verified_at",
                    "bio",
                    "mediums",
                    "avatar",
                    "avatar_thumbnail",
                    "is_anonymised",
                )
            },
        ),
    )
    readonly_fields = ("email_verified_at", "avatar", "avatar_thumbnail", "is_anonymised")
    list_display = ("username", "email", "is_staff", "is_anonymised", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "is_anonymised")
    actions = ["anonymise"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            # A new address is unconfirmed until its person follows the link.
            services.user_email_changed(user=obj, by=cast(User, request.user))

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
    """Read-only: the audit log is append-only. A person is shown through their id (and
    their current name, "former member" once deleted), never through what an old row
    stored about them."""

    list_display = ("created_at", "actor", "action", "target_type", "target")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor__username", "action")
    date_hierarchy = "created_at"
    get_changelist = admin_lists.get_changelist  # odd ?created_at__year=: no 500
    list_select_related = ("actor",)
    fields = (
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target",
        "details_shown",
    )
    readonly_fields = fields

    @admin.display(description="target")
    def target(self, entry: AuditEntry) -> str:
        return entry.target_shown

    @admin.display(description="details")
    def details_shown(self, entry: AuditEntry) -> dict[str, Any]:
        details = entry.details if isinstance(entry.details, dict) else {}
        return {key: value for key, value in details.items() if key not in _NAME_KEYS}

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notifications are made by the services that tell people things
