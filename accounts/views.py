from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services, throttle
from accounts.forms import AccountDeleteForm, ProfileForm, SignInForm, SignupForm
from accounts.models import User
from contributions.gallery import gallery_context, gallery_params
from hitrecord import fragments, prefetch
from hitrecord.media import MediaRejected
from hitrecord.params import parse_page
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


class PasswordResetRequestView(PasswordResetView):
    """Django's "email me a reset link", limited per target email and per client address
    (see accounts.throttle): a refused request re-shows the form with a 429 and sends
    nothing."""

    def form_valid(self, form: Any) -> HttpResponse:
        verdict = throttle.password_reset_attempt(
            email=form.cleaned_data["email"], address=throttle.client_address(self.request)
        )
        if not verdict.allowed:
            form.add_error(None, throttle.password_reset_refused_message(verdict))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        return super().form_valid(form)


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
            login(request, user, backend="accounts.backends.CachedModelBackend")
            messages.success(
                request,
                f"Welcome, {user.username}. We sent a link to {user.email}: follow it to "
                "confirm the address, so news about your work can reach you. Meanwhile, "
                "find a project and join it.",
            )
            return redirect("/")
    return render(request, "registration/signup.html", {"form": form}, status=400)


def _profile_memberships(person: User) -> QuerySet[Membership]:
    """The projects a person belongs to, newest first, in one query."""
    return (
        Membership.objects.filter(user=person)
        .select_related("project")
        .order_by("-joined_at", "-pk")
    )


@prefetch.scopes(selectors.profile_page_scopes)
def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A person's page: who they are, their projects, their contributions. Cached per
    person version and whether it is their own page (which offers edits)."""

    def page_key(person_id: int) -> str:
        own = request.user.pk == person_id
        token = fragments.versions(selectors.person_scope(person_id), selectors.PEOPLE_SCOPE)
        return f"profile-page:{person_id}:{token}:{int(own)}:{gallery_params(request)}"

    person = selectors.person_by_username_cached(
        username=username, with_keys=lambda person_id: [page_key(person_id)]
    )
    if person is None:
        raise Http404("No one here goes by that name.")
    own = request.user == person
    key = page_key(person.pk)

    def context() -> dict[str, Any]:
        return {
            "person": person,
            "own": own,
            "memberships": list(_profile_memberships(person)),
            **gallery_context(request, author_id=person.pk),
            "gallery_title": "Contributions",
            "gallery_empty": "No contributions yet.",
            "gallery_cta_url": "/projects/" if own else "",
        }

    body = fragments.fragment(request, key, "accounts/_profile_body.html", context)
    return render(request, "accounts/profile.html", {"person": person, "body": body})


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


NOTIFICATIONS_PAGE_SIZE = 30


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, 30 a page. The list is a cached fragment
    of their own (keyed by their inbox version: any new, read or deleted notification
    renders it afresh) and of the people version (it names the actors)."""
    user = cast(User, request.user)  # login_required ran first
    number = parse_page(request.GET.get("page"))
    scopes = fragments.versions(selectors.inbox_scope(user.pk), "people")
    key = f"inbox-page:{user.pk}:{scopes}:{number}"

    def context() -> dict[str, Any]:
        paginator = Paginator(selectors.notification_list(user=user), NOTIFICATIONS_PAGE_SIZE)
        return {"page": paginator.get_page(number)}

    inbox = fragments.fragment(request, key, "accounts/_notification_list.html", context)
    return render(request, "accounts/notifications.html", {"inbox": inbox})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required ran first
    count = services.notifications_mark_read(user=user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("accounts:notifications")


# --- email verification ---------------------------------------------------------------------

RESEND_COOLDOWN = 60  # seconds between two links asked for by one person


def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Follow the link from the verification email (anyone holding it: it names the person
    and the address, and is signed). Idempotent, so a mail client prefetching it is harmless."""
    try:
        person = services.email_verify(token=token)
    except ValidationError as error:
        context = {"problem": error.messages[0]}
        return render(request, "accounts/email_verify.html", context, status=400)
    messages.success(request, f"Thank you: {person.email} is confirmed.")
    return redirect("accounts:email-verify-send" if request.user == person else "/")


@login_required
def email_verify_send(request: HttpRequest) -> HttpResponse:
    """Where a signed-in person sees whether their email is confirmed and, by POST, asks for
    a new link (at most one a minute)."""
    user = cast(User, request.user)  # login_required ran first
    if request.method != "POST":
        return render(request, "accounts/email_verify.html")
    if user.email_verified or not user.email:
        return redirect("accounts:email-verify-send")
    if not cache.add(f"accounts:verify-resend:{user.pk}", 1, RESEND_COOLDOWN):
        context = {"problem": "A link was sent less than a minute ago; check your inbox first."}
        response = render(request, "accounts/email_verify.html", context, status=429)
        response["Retry-After"] = str(RESEND_COOLDOWN)
        return response
    services.email_verification_send(user=user)
    messages.success(request, f"We sent a new link to {user.email}. It works for a few days.")
    return redirect("accounts:email-verify-send")
