from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import ChangePasswordForm, NewPasswordForm

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("me/profile/", views.profile_edit, name="profile-edit"),
    path("me/delete/", views.account_delete, name="account-delete"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("me/notifications/read/", views.notifications_read, name="notifications-read"),
    path("accounts/verify/", views.email_verify_send, name="email-verify-send"),
    path("accounts/verify/<str:token>/", views.email_verify, name="email-verify"),
]

# Django's own sign-in, sign-out and password reset views, under their usual names.
auth_urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        views.PasswordResetRequestView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=ChangePasswordForm),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
