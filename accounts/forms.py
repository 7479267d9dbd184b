from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm, UserCreationForm

from accounts import throttle
from accounts.models import Medium, User

RESERVED_PREFIX = "former-member"
USERNAME_TAKEN = "That username is taken (names ignore case); pick another."
USERNAME_RESERVED = "Usernames starting with “former-member” are reserved; pick another."
USERNAME_HELP = (
    "Up to 150 letters, digits and @ . + - _ (no spaces). It is your address: /u/yourname/."
)
CHOOSING_HELP = (
    "At least 8 characters; not a common password, not only digits, and not like your "
    "username or email. A few words in a row work well."
)


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be registered, or None. Shared by the page and the API."""
    if username.lower().startswith(RESERVED_PREFIX):
        return USERNAME_RESERVED
    if User.objects.filter(username__iexact=username).exists():
        return USERNAME_TAKEN
    return None


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(
        required=True,
        help_text="For password resets and news about your work.",
        error_messages={"required": "Enter your email: it is how you reset a password."},
    )

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = USERNAME_HELP
        self.fields["password1"].help_text = CHOOSING_HELP
        self.fields["password2"].help_text = "The same password again, to catch a typo."

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        # The rules' complaints belong next to the password itself, not its confirmation.
        super().validate_password_for_user(user, "password1")  # type: ignore[misc]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem, code="unique")
        return username


class SignInForm(AuthenticationForm):
    """Django's sign-in form, throttled per (account, client address); see accounts.throttle.

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
        cleaned = super().clean()  # raises on a wrong password: the attempt stays counted
        throttle.signin_succeeded(username=username, address=address)
        return cleaned


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Choosing a new password from a reset link: plain help, errors on the first field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = CHOOSING_HELP
        self.fields["new_password2"].help_text = "The same password again, to catch a typo."

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, "new_password1")


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
