from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services, throttle
from accounts.forms import AccountDeleteForm, ProfileForm, SignInForm, SignupForm
from accounts.models import User
from contributions.gallery import gallery_context
from hitrecord.media import MediaRejected
from projects.models import Membership


class SignInView(LoginView):
    """Django's LoginView with the throttled form; a refused pair gets a 429 page."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        if getattr(form, "throttled", None) is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled.retry_after)
        return response


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    if request.method != "POST":
        return render(request, "registration/signup.html", {"form": SignupForm()})
    verdict = throttle.signup_attempt(address=throttle.client_address(request))
    if not verdict.allowed:
        form = SignupForm(
            initial={"username": request.POST.get("username"), "email": request.POST.get("email")}
        )
        context = {"form": form, "throttled": throttle.signup_refused_message(verdict)}
        response = render(request, "registration/signup.html", context, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    form = SignupForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:  # lost a race for the name
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}. Find a project and join it.")
            return redirect("/")
    return render(request, "registration/signup.html", {"form": form}, status=400)


def _profile_memberships(person: User) -> QuerySet[Membership]:
    """The projects a person belongs to, newest first, in one query."""
    return (
        Membership.objects.filter(user=person)
        .select_related("project")
        .order_by("-joined_at", "-pk")
    )


def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.person_by_username(username=username)
    if person is None:
        raise Http404("No one here goes by that name.")
    context = {
        "person": person,
        "memberships": list(_profile_memberships(person)),
        **gallery_context(request, author_id=person.pk),
        "gallery_title": "Contributions",
        "gallery_empty": "No contributions yet.",
        "gallery_cta_url": "/projects/" if request.user == person else "",
    }
    return render(request, "accounts/profile.html", context)


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required ran first
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "bio": user.bio,
        "mediums": list(user.mediums),
    }
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_profile_update(
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                bio=data["bio"],
                mediums=data["mediums"],
                avatar=data.get("avatar"),
                remove_avatar=data["remove_avatar"],
            )
        except MediaRejected as rejected:
            form.add_error("avatar", rejected.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile-edit")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/profile_edit.html", {"form": form}, status=status)


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required ran first
    form = AccountDeleteForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_anonymise(user=user, by=user)
        logout(request)
        messages.success(
            request,
            "Your account is deleted. Your contributions stay in their lineage as “former member”.",
        )
        return redirect("/")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/account_delete.html", {"form": form}, status=status)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required ran first
    page = Paginator(selectors.notification_list(user=user), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required ran first
    count = services.notifications_mark_read(user=user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("accounts:notifications")
