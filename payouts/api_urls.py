from django.urls import path

from payouts import api, api_money

urlpatterns = [
    path("projects/<slug:slug>/final-cut/", api.FinalCutDraft.as_view(), name="api-final-cut"),
    path(
        "projects/<slug:slug>/final-cut/lock/",
        api.FinalCutLock.as_view(),
        name="api-final-cut-lock",
    ),
    path(
        "projects/<slug:slug>/final-cut/split/",
        api.FinalCutSplit.as_view(),
        name="api-final-cut-split",
    ),
    path(
        "projects/<slug:slug>/final-cut/credits/",
        api.FinalCutCredits.as_view(),
        name="api-final-cut-credits",
    ),
]

# The money API (payouts/api_money.py): revenue, distributions, claims, batches, earnings, payee.
urlpatterns += [
    path("revenues/", api_money.RevenueCreate.as_view(), name="api-revenues"),
    path(
        "distributions/<str:pk>/", api_money.DistributionDetail.as_view(), name="api-distribution"
    ),
    path(
        "distributions/<str:pk>/propose/",
        api_money.DistributionPropose.as_view(),
        name="api-distribution-propose",
    ),
    path(
        "distributions/<str:pk>/approve/",
        api_money.DistributionApprove.as_view(),
        name="api-distribution-approve",
    ),
    path(
        "distributions/<str:pk>/recompute/",
        api_money.DistributionRecompute.as_view(),
        name="api-distribution-recompute",
    ),
    path(
        "distributions/<str:pk>/claims/",
        api_money.ClaimCreate.as_view(),
        name="api-distribution-claims",
    ),
    path("payment-batches/", api_money.PaymentBatchCreate.as_view(), name="api-payment-batches"),
    path(
        "payment-batches/<str:pk>/",
        api_money.PaymentBatchDetail.as_view(),
        name="api-payment-batch",
    ),
    path(
        "payment-batches/<str:pk>/csv",
        api_money.PaymentBatchCsv.as_view(),
        name="api-payment-batch-csv",
    ),
    path(
        "payment-batches/<str:pk>/paypal",
        api_money.PaymentBatchPayPal.as_view(),
        name="api-payment-batch-paypal",
    ),
    path("distribution-lines/<str:pk>/paid/", api_money.LinePaid.as_view(), name="api-line-paid"),
    path(
        "distribution-lines/<str:pk>/failed/",
        api_money.LineFailed.as_view(),
        name="api-line-failed",
    ),
    path("me/earnings/", api_money.MyEarnings.as_view(), name="api-earnings"),
    path("me/payee/", api_money.MyPayee.as_view(), name="api-payee"),
    path("me/payee/verify/", api_money.MyPayeeVerify.as_view(), name="api-payee-verify"),
]
