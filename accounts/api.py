"""The accounts API: registering, getting a token, and the caller's notifications."""

from __future__ import annotations

from typing import Any, NoReturn, cast

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import selectors, services, throttle, usernames
from accounts.forms import email_problem, password_problems, username_problem
from accounts.models import Notification, User


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    # The text as people read it: a person it names is shown by their current name.
    message = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "created_at", "read_at"]


class MyNotifications(generics.ListAPIView[Notification]):
    """What happened to the caller's work, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Notification]:
        user = cast(User, self.request.user)  # IsAuthenticated ran first
        return selectors.notification_list(user=user)


# --- abuse limits ---------------------------------------------------------------------------


class TooManyAttempts(exceptions.Throttled):
    """A 429 whose message says what happened and when to retry; DRF adds Retry-After."""

    def __init__(self, verdict: throttle.Verdict, message: str) -> None:
        super().__init__(wait=None, detail=message)
        self.wait = verdict.retry_after


class SignupThrottle(BaseThrottle):
    """The ``signup`` rate per client address, shared with the sign-up page."""

    scope = "signup"
    verdict: throttle.Verdict | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        self.verdict = throttle.signup_attempt(address=throttle.client_address(request))
        view.signup_verdict = self.verdict  # for the view's 429 message
        return self.verdict.allowed

    def wait(self) -> float | None:
        return float(self.verdict.retry_after) if self.verdict else None


ERROR_SHAPE = inline_serializer(name="ErrorMessage", fields={"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(
    description="What to fix, per field: `{field: [message, ...]}`.",
    response=inline_serializer(
        name="FieldErrors",
        fields={
            "username": serializers.ListField(child=serializers.CharField(), required=False),
            "email": serializers.ListField(child=serializers.CharField(), required=False),
            "password": serializers.ListField(child=serializers.CharField(), required=False),
            "non_field_errors": serializers.ListField(
                child=serializers.CharField(), required=False
            ),
        },
    ),
)


# --- register -------------------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer[dict[str, Any]]):
    username = serializers.CharField(
        max_length=150,
        help_text=f"{usernames.USERNAME_RULE} Unique regardless of case; a name that belonged "
        "to a deleted account is not given out again.",
    )
    email = serializers.EmailField(
        help_text="For password resets and news about your work; unique regardless of case. "
        "A link to confirm it is sent by email."
    )
    password = serializers.CharField(
        write_only=True,
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Must pass the password rules: at least 8 characters, not common, "
        "not only digits, not like the username.",
    )

    def validate_username(self, value: str) -> str:
        problem = username_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_email(self, value: str) -> str:
        problem = email_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems = password_problems(
            attrs["password"], username=attrs["username"], email=attrs["email"]
        )
        if problems:
            raise serializers.ValidationError({"password": problems})
        return attrs


class RegisteredSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class Register(APIView):
    """Create an account. Usernames are unique regardless of case; passwords must pass
    the password rules. Limited per client address (the ``signup`` rate)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [SignupThrottle]
    signup_verdict: throttle.Verdict | None = None

    def throttled(self, request: Request, wait: float) -> NoReturn:
        verdict = self.signup_verdict
        if verdict is not None and not verdict.allowed:
            raise TooManyAttempts(verdict, throttle.signup_refused_message(verdict))
        super().throttled(request, wait)

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=RegisterSerializer,
        responses={
            201: RegisteredSerializer,
            400: FIELD_ERRORS,
            429: OpenApiResponse(
                description="Too many sign-ups from this address; see Retry-After.",
                response=ERROR_SHAPE,
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(RegisteredSerializer(user).data, status=status.HTTP_201_CREATED)


# --- token ----------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer[dict[str, Any]]):
    username = serializers.CharField(max_length=150, help_text="Any case.")
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(
        read_only=True, help_text="Send it as `Authorization: Token <token>`."
    )


class TokenCreate(APIView):
    """Exchange a username (any case) and password for the person's API token.

    Limited per (account, client address): after 5 failures in 15 minutes that pair gets
    429 with Retry-After, counted before the password is checked. Other addresses are not
    affected, unless the account had 50 failures in an hour from everywhere: then only
    addresses that signed in to it before may try. Shared with the sign-in page and admin."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    # DELETE (revoking the caller's token) needs a caller; POST stays open to anyone, and a
    # stale token header never blocks getting a new one.
    def get_authenticators(self) -> list[Any]:
        if self.request is not None and self.request.method == "DELETE":
            return [TokenAuthentication(), SessionAuthentication()]
        return super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        if self.request is not None and self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return list(super().get_permissions())

    @extend_schema(
        operation_id="auth_token_revoke",
        tags=["auth"],
        request=None,
        responses={
            204: OpenApiResponse(
                description="The caller's token is deleted: it no longer signs anything in. "
                "POST here again for a new one."
            ),
            401: OpenApiResponse(description="No token or session.", response=ERROR_SHAPE),
        },
    )
    def delete(self, request: Request) -> Response:
        """Revoke the caller's API token (sign the API out); idempotent."""
        services.auth_token_revoke(user=cast(User, request.user))  # IsAuthenticated ran
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="auth_token",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: FIELD_ERRORS,
            429: OpenApiResponse(
                description="Too many failed sign-ins for this account from this address; "
                "see Retry-After.",
                response=ERROR_SHAPE,
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username: str = serializer.validated_data["username"]
        password: str = serializer.validated_data["password"]
        address = throttle.client_address(request)
        verdict = throttle.signin_attempt(username=username, address=address)
        if not verdict.allowed:
            raise TooManyAttempts(verdict, throttle.signin_refused_message(verdict))
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            throttle.signin_failed(username=username, address=address)
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "That username and password do not match an account. Check both "
                        "(the password is case-sensitive)."
                    ]
                }
            )
        throttle.signin_succeeded(username=username, address=address)
        token = services.auth_token_get(user=user)
        return Response({"token": token.key})
