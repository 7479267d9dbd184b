from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    SetPasswordForm,
    UserCreationForm,
)

from accounts import services, throttle, usernames
from accounts.models import Medium, User
from accounts.usernames import USERNAME_TAKEN
from hitrecord.errors import RateLimited

USERNAME_HELP = f"{usernames.USERNAME_RULE} Any case signs in. It is your address: /u/yourname/."
CHOOSING_HELP = (
    "At least 8 characters; not a common password, not only digits, and not like your "
    "username or email. A few words in a row work well."
)


def username_problem(username: str, *, current: User | None = None) -> str | None:
    """Why ``username`` cannot be chosen as a new name, or None. Shared by the page, the API
    and admin (``current``: the person being renamed, who may keep their own name).

    In order: the policy (ASCII letters, digits, ``._-``), the reserved prefix, a name
    retired from a deleted account, a name taken in any case."""
    if current is not None and usernames.canonical(current.username) == usernames.canonical(
        username
    ):
        return None
    problem = usernames.policy_problem(username)
    if problem:
        return problem
    if services.username_retired(username):
        return usernames.USERNAME_RETIRED
    taken = User.objects.filter(username__iexact=username)
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if taken.exists():
        return USERNAME_TAKEN
    return None


def email_problem(email: str, *, current: User | None = None) -> str | None:
    """Why ``email`` cannot be an account's address, or None: another account has it (in
    any case). Shared by the page, the API and admin."""
    taken = User.objects.filter(email__iexact=email.strip())
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if email and taken.exists():
        return services.EMAIL_TAKEN
    return None


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(
        required=True,
        help_text="For password resets and news about your work. We send a link to confirm it.",
        error_messages={"required": "Enter your email: it is how you reset a password."},
    )

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = USERNAME_HELP
        # The policy (``username_problem``) replaces Django's "letters, @/./+/-/_" validator,
        # whose message would invite names the policy refuses.
        self.fields["username"].validators = []
        self.fields["password1"].help_text = CHOOSING_HELP
        self.fields["password2"].help_text = "The same password again, to catch a typo."

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        # The rules' complaints belong next to the password itself, not its confirmation.
        super().validate_password_for_user(user, "password1")  # type: ignore[misc]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        # Django's field folds look-alikes (NFKC: "tomaſ" -> "tomas"); judge what was typed,
        # as the API does, so a look-alike is refused rather than silently changed.
        typed = str(self.data.get(self.add_prefix("username"), "")).strip()
        problem = username_problem(typed if typed != username else username)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return username

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        problem = email_problem(email)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return email


class SignInForm(AuthenticationForm):
    """Django's sign-in form, throttled per (account, client address) and per account; see
    accounts.throttle. The site's page, the API token and admin's login share the limits.

    The attempt is counted before the password is checked, so a pair that has used its
    attempts learns nothing more about the password.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That username and password do not match an account. Check both (the password "
            "is case-sensitive), or reset your password below."
        ),
        "throttled": "%(message)s",
    }

    # Taken as typed: Django's UsernameField applies NFKC, which turns "tomaſ" into "tomas"
    # on the page but not in the API. Names are compared one way, accounts.usernames.
    username = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )

    throttled: throttle.Verdict | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password or self.request is None:
            return super().clean()
        address = throttle.client_address(self.request)
        verdict = throttle.signin_attempt(username=username, address=address)
        if not verdict.allowed:
            self.throttled = verdict
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"message": throttle.signin_refused_message(verdict)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.user_cache is None:  # a wrong password (not a right one refused later)
                throttle.signin_failed(username=username, address=address)
            raise  # the attempt stays counted
        throttle.signin_succeeded(username=username, address=address)
        return cleaned


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """Django admin's login with the site's throttle (``admin.site.login_form``, set in
    ``hitrecord.apps``). A refused attempt is a 429 page with Retry-After."""

    error_messages = {
        **SignInForm.error_messages,
        "invalid_login": AdminAuthenticationForm.error_messages["invalid_login"],
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            verdict = self.throttled
            if verdict is not None:
                message = throttle.signin_refused_message(verdict)
                raise RateLimited(message, verdict.retry_after) from None
            raise


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Choosing a new password from a reset link: plain help, errors on the first field.
    Saving goes through ``user_password_set``, which revokes the person's API tokens."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = CHOOSING_HELP
        self.fields["new_password2"].help_text = "The same password again, to catch a typo."

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, "new_password1")

    def save(self, commit: bool = True) -> Any:
        if not commit:
            return super().save(commit=False)
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"]
        )


class ChangePasswordForm(PasswordChangeForm, NewPasswordForm):
    """Changing the password while signed in: the old one first, then as ``NewPasswordForm``
    (same help, same save through ``user_password_set``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].help_text = "The password you sign in with now."


class ProfileForm(forms.Form):
    """What a person may change about their public profile."""

    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    bio = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few lines about you and your work (up to 2000 characters).",
    )
    mediums = forms.MultipleChoiceField(
        choices=Medium.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Mediums you work in",
        help_text="Projects looking for these show you their open calls.",
    )
    avatar = forms.FileField(
        required=False,
        label="Avatar",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text="A JPEG, PNG, WebP or GIF image; it is shown as a small circle.",
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my avatar")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("avatar") and cleaned.get("remove_avatar"):
            self.add_error(
                "remove_avatar", "Either upload a new avatar or remove it, not both at once."
            )
        return cleaned


class AccountDeleteForm(forms.Form):
    """Confirms with the password that the person signed in means to delete their account."""

    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="To confirm it is you.",
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not your current password. Type it again; it is case-sensitive."
            )
        return password


def password_problems(password: str, *, username: str, email: str) -> list[str]:
    """Django's password validators' complaints about ``password`` for this new person."""
    try:
        password_validation.validate_password(password, user=User(username=username, email=email))
    except forms.ValidationError as error:
        return list(error.messages)
    return []
